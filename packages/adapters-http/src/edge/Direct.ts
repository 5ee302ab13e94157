import { Sessions, User } from "@userkit/domain"
import { Cause, Context, Effect, Exit, Layer, LogLevel, Option, Schema } from "effect"
import { Api } from "../Api.js"
import { Status } from "../ops/Api.js"
import { problemResponses } from "../problems/ProblemResponses.js"
import { bearerToken } from "../security/Authentication.js"
import * as Cors from "./Cors.js"
import { HttpMetrics } from "./HttpMetrics.js"
import { answerLogged, logAnswer, requestIdOf } from "./RequestLog.js"
import { securityHeadersFor } from "./SecurityHeaders.js"

/** What a direct answer may look at: the request line and headers, as node:http gives them. */
export interface DirectRequest {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
}

export interface DirectAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * The hottest requests, answered without the router and its middleware: the answer each would get
 * through them (same status, headers, body, log line and metrics), in a fraction of the time (the
 * router's per-request work was half the cost of `GET /auth/me`, measured with `me-vs-floor.sh`).
 * Only the ordinary case is answered here. Anything else, decided at once from the request line and
 * headers (another method, a query string, a body, no bearer token) or found on the way
 * (a token that does not authenticate), is left to the router from the start, so every refusal
 * keeps its one implementation. An unexpected failure (a store outage) is answered with the
 * problem the edge's own mapping gives it, rather than paying the outage's wait again.
 */
export class DirectRoutes extends Context.Tag("userkit/http/DirectRoutes")<
  DirectRoutes,
  {
    /**
     * The answer to `request`, or undefined when the router must answer it. The effect fails when
     * the router must answer after all; it logs and counts only the answers it gives (and a client
     * gone before its answer, as 499). `minimumLogLevel` is the serving fiber's (LOG_LEVEL): an
     * answer known at once whose log line it would not write (`GET /health` below `info`) is given
     * as an `Exit`, counted already, to be written without a fiber. Every line is written when it is
     * not given.
     */
    readonly answer: (
      request: DirectRequest,
      minimumLogLevel?: LogLevel.LogLevel,
    ) => Effect.Effect<DirectAnswer, unknown> | undefined
  }
>() {}

const header = (request: DirectRequest, name: string) => {
  const value = request.headers[name]
  return typeof value === "string" ? value : undefined
}

/** A request with no body: neither a length above zero nor a chunked one. */
const bodiless = (request: DirectRequest) => {
  const length = header(request, "content-length")
  return (length === undefined || length === "0") && request.headers["transfer-encoding"] === undefined
}

/**
 * A route's JSON answer, by the endpoint's own success schema, as the router encodes it. The
 * encoding of a valid value cannot fail; were it to, the throw is a defect: the router answers.
 */
const jsonBy = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encodeSync(schema)
  return (value: A) => JSON.stringify(encode(value))
}

/** Where the API serves an endpoint, its group's prefix included: the router's route template. */
const pathOf = (group: string, endpoint: string) => {
  const path = Api.groups[group]?.endpoints[endpoint]?.path
  if (path === undefined) throw new Error(`the API has no endpoint ${group}.${endpoint}`)
  return path
}

const utf8 = new TextDecoder()

/**
 * The problem the router's edge answers for `cause`, by its own mapping (`problemResponses`, which
 * logs what it logs), as a direct answer's status, headers and body; none when it has no bytes.
 */
const problemOf = (cause: Cause.Cause<unknown>) =>
  Effect.map(problemResponses(Effect.failCause(cause)), (response) =>
    response.body._tag === "Uint8Array"
      ? Option.some({
          status: response.status,
          headers: { "content-type": response.body.contentType, ...response.headers },
          body: utf8.decode(response.body.body),
        })
      : Option.none(),
  )

export interface Options {
  /** The app's CORS, whose headers every answer carries, as the router's do. */
  readonly cors?: Cors.Options | undefined
}

export const layer = (options: Options = {}): Layer.Layer<DirectRoutes, never, Sessions | HttpMetrics> =>
  Layer.effect(
    DirectRoutes,
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const metrics = yield* HttpMetrics
      const corsHeaders = options.cors === undefined ? undefined : yield* Cors.answerHeaders(options.cors)
      // The success schemas the endpoints declare (ops/Api.ts, auth/Api.ts).
      const me = jsonBy(User)
      const healthy = jsonBy(Status)({ status: "ok" })
      // A route's body: known at once (a string), to be found (an effect), or none (the router's to answer).
      const routes = new Map<string, (request: DirectRequest) => string | Effect.Effect<string, unknown> | undefined>([
        [pathOf("ops", "health"), () => healthy],
        [
          pathOf("auth", "me"),
          (request) =>
            Option.match(bearerToken(header(request, "authorization")), {
              onNone: () => undefined,
              onSome: (token) => Effect.map(sessions.authenticate(token), (caller) => me(caller.user)),
            }),
        ],
      ])

      // The headers of a route's answers but its request id: the same for every answer.
      const headersOf = new Map(
        [...routes.keys()].map((path) => [
          path,
          { "content-type": "application/json", ...securityHeadersFor(path, {}) } as const,
        ]),
      )

      return DirectRoutes.of({
        answer: (request, minimumLogLevel = LogLevel.All) => {
          const route = request.url === undefined ? undefined : routes.get(request.url)
          if (route === undefined || request.method !== "GET") return undefined
          if (!bodiless(request)) return undefined
          const body = route(request)
          if (body === undefined) return undefined
          const path = request.url as string
          const requestId = requestIdOf(header(request, "x-request-id"))
          const cors = corsHeaders?.(header(request, "origin"))
          const start = process.hrtime.bigint()
          /**
           * Counted and logged as the router's edge does, with the edge's headers: counted when
           * called (in the fiber, when there is one); an `Exit` when no line is to be written.
           */
          const answered = (
            status: number,
            own: Readonly<Record<string, string>> | undefined,
            json: string,
          ): Effect.Effect<DirectAnswer> => {
            const seconds = Number(process.hrtime.bigint() - start) / 1e9
            metrics.recordRequest("GET", path, status, seconds)
            const answer: DirectAnswer = {
              status,
              headers: {
                ...(own === undefined ? headersOf.get(path) : { ...own, ...securityHeadersFor(path, own) }),
                ...cors,
                "x-request-id": requestId,
              },
              body: json,
            }
            return answerLogged(status, minimumLogLevel)
              ? Effect.as(logAnswer({ requestId, method: "GET", route: path, status, seconds }), answer)
              : Exit.succeed(answer)
          }
          if (typeof body === "string") return answered(200, undefined, body)
          return body.pipe(
            Effect.matchCauseEffect({
              onSuccess: (json) => answered(200, undefined, json),
              // A refusal (a token that does not authenticate) is the router's to answer. Anything
              // else (a store outage) is answered here as the edge would, so its wait is not paid twice.
              onFailure: (cause): Effect.Effect<DirectAnswer, unknown> =>
                Cause.isFailType(cause) || Cause.isInterruptedOnly(cause)
                  ? Effect.failCause(cause)
                  : Effect.flatMap(
                      problemOf(cause),
                      Option.match({
                        onNone: () => Effect.failCause(cause),
                        onSome: (problem) => answered(problem.status, problem.headers, problem.body),
                      }),
                    ),
            }),
            // The client left before its answer: logged and counted as the edge does.
            Effect.onInterrupt(() => answered(499, {}, "")),
            Effect.annotateLogs("request_id", requestId),
          )
        },
      })
    }),
  )

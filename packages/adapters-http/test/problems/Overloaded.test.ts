import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Overloaded } from "@userkit/domain"
import { Cause, Effect, Layer, Logger } from "effect"
import { problemResponses, RETRY_AFTER_SECONDS } from "../../src/problems/ProblemResponses.js"

// A full hashing queue cannot be made on purpose through the real API in a test: a one-endpoint API
// whose handler dies as the bcrypt adapter does, behind the edge's problem mapping.
const Busy = HttpApi.make("busy").add(HttpApiGroup.make("busy").add(HttpApiEndpoint.post("login", "/login")))
const handlers = HttpApiBuilder.group(Busy, "busy", (h) =>
  h.handle("login", () => Effect.die(new Overloaded({ resource: "password hashing" }))),
)

describe("a request refused because hashing is overloaded", () => {
  it.effect("is a 503 problem overloaded with Retry-After, logged as one warning without a stack", () =>
    Effect.gen(function* () {
      const logged: Array<{ readonly level: string; readonly hasCause: boolean }> = []
      const capture = Logger.make(({ logLevel, cause }) =>
        logged.push({ level: logLevel.label, hasCause: !Cause.isEmpty(cause) }),
      )
      const { handler, dispose } = HttpApiBuilder.toWebHandler(
        Layer.mergeAll(
          HttpApiBuilder.api(Busy).pipe(Layer.provide(handlers)),
          HttpApiBuilder.middleware(Busy, Effect.succeed(problemResponses)),
          HttpServer.layerContext,
          Logger.replace(Logger.defaultLogger, capture),
        ),
      )
      const response = yield* Effect.promise(() => handler(new Request("http://localhost/login", { method: "POST" })))
      const body: unknown = yield* Effect.promise(() => response.json())
      yield* Effect.promise(dispose)
      expect(response.status).toBe(503)
      expect(response.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS))
      expect(response.headers.get("content-type")).toBe("application/problem+json")
      expect(body).toMatchObject({ status: 503, code: "overloaded", title: "Service Unavailable" })
      expect(logged).toEqual([{ level: "WARN", hasCause: false }])
    }),
  )
})

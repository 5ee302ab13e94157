import http from "node:http"
import { expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestApp } from "./TestApp.js"

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: unknown
}

export interface Send {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly json?: unknown
  readonly form?: Record<string, string>
  readonly body?: BodyInit
  /** Fails the request (and so the test) when no answer came in this time: a hang is a failure, not a wait. */
  readonly timeoutMs?: number
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** One request to the app under test, through fetch, answered whole. */
export const send = (path: string, options: Send = {}) =>
  Effect.gen(function* () {
    const { baseUrl } = yield* TestApp
    const headers: Record<string, string> = { ...options.headers }
    let body = options.body
    if (options.json !== undefined) {
      headers["content-type"] ??= "application/json"
      body = JSON.stringify(options.json)
    }
    if (options.form !== undefined) body = new URLSearchParams(options.form)
    const init: RequestInit & { duplex: "half" } = { method: options.method ?? "GET", headers, duplex: "half" }
    if (body !== undefined) init.body = body
    if (options.timeoutMs !== undefined) init.signal = AbortSignal.timeout(options.timeoutMs)
    const response = yield* Effect.promise(() => fetch(`${baseUrl}${path}`, init))
    const text = yield* Effect.promise(() => response.text())
    return { status: response.status, headers: response.headers, text, body: parse(text) } satisfies Answer
  })

export const ProblemBody = Schema.Struct({
  type: Schema.String,
  title: Schema.String,
  status: Schema.Number,
  detail: Schema.String,
  code: Schema.String,
  errors: Schema.optional(Schema.Array(Schema.Struct({ pointer: Schema.String, detail: Schema.String }))),
})

/** Asserts an RFC 9457 answer with this status and code, and returns its body. */
export const expectProblem = (answer: Answer, status: number, code: string) => {
  expect(answer.headers.get("content-type")).toBe("application/problem+json")
  const problem = Schema.decodeUnknownSync(ProblemBody)(answer.body)
  expect(problem).toMatchObject({ type: `urn:userkit:problem:${code}`, status, code })
  expect(answer.status).toBe(status)
  expect(problem.title.length).toBeGreaterThan(0)
  expect(problem.detail.length).toBeGreaterThan(0)
  return problem
}

export interface RawRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  /** Written before waiting for the answer; the request is never ended, so a server that waits for more hangs. */
  readonly partialBody?: string
  /** Fails when no answer came in this time. */
  readonly timeoutMs?: number
}

/**
 * A request through node:http that sends its headers (and maybe part of a body) and then waits for
 * the answer without finishing the body: proves the server answered before reading it all.
 */
export const sendRaw = (options: RawRequest) =>
  Effect.gen(function* () {
    const { port } = yield* TestApp
    return yield* Effect.async<Answer, Error>((resume) => {
      const request = http.request({
        host: "127.0.0.1",
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      })
      request.on("error", (error) => resume(Effect.fail(error)))
      if (options.timeoutMs !== undefined)
        request.setTimeout(options.timeoutMs, () => request.destroy(new Error(`no answer in ${options.timeoutMs} ms`)))
      request.on("response", (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          const headers = new Headers()
          for (const [name, value] of Object.entries(response.headers))
            if (typeof value === "string") headers.set(name, value)
          request.destroy()
          resume(Effect.succeed({ status: response.statusCode ?? 0, headers, text, body: parse(text) }))
        })
      })
      request.flushHeaders()
      if (options.partialBody !== undefined) request.write(options.partialBody)
      return Effect.sync(() => request.destroy())
    })
  })

import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { RateLimited } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { asProblems } from "../../src/problems/DomainProblems.js"
import { TooManyRequests } from "../../src/problems/Problem.js"

// No endpoint refuses for too many attempts yet: a one-endpoint API whose handler does, answered
// as every handler answers domain errors.
const Limited = HttpApi.make("limited").add(
  HttpApiGroup.make("limited").add(HttpApiEndpoint.post("attempt", "/attempt").addError(TooManyRequests)),
)
const handlers = HttpApiBuilder.group(Limited, "limited", (h) =>
  h.handle("attempt", () => asProblems(Effect.fail(new RateLimited({ retryAfterSeconds: 42 })))),
)

describe("a use case refused for too many attempts", () => {
  it.effect("is a 429 problem rate_limited, saying when to try again in Retry-After", () =>
    Effect.gen(function* () {
      const { handler, dispose } = HttpApiBuilder.toWebHandler(
        Layer.mergeAll(HttpApiBuilder.api(Limited).pipe(Layer.provide(handlers)), HttpServer.layerContext),
      )
      const response = yield* Effect.promise(() => handler(new Request("http://localhost/attempt", { method: "POST" })))
      const body: unknown = yield* Effect.promise(() => response.json())
      yield* Effect.promise(dispose)
      expect(response.status).toBe(429)
      expect(response.headers.get("retry-after")).toBe("42")
      expect(response.headers.get("content-type")).toBe("application/problem+json")
      expect(body).toMatchObject({ status: 429, code: "rate_limited", title: "Too Many Requests" })
    }),
  )
})

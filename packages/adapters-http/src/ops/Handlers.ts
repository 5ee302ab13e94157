import { HttpApiBuilder, HttpApp, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { notReady } from "../problems/ProblemResponses.js"
import { PublicKeys } from "./PublicKeys.js"
import { ReadinessCheck } from "./ReadinessCheck.js"

const ok = { status: "ok" } as const

// Verifiers may cache the key set; a key is published long before it signs anything that outlives that.
const cacheFiveMinutes = HttpApp.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "cache-control", "public, max-age=300")),
)

export const layer = HttpApiBuilder.group(Api, "ops", (handlers) =>
  Effect.gen(function* () {
    const readiness = yield* ReadinessCheck
    const publicKeys = yield* PublicKeys
    return handlers
      .handle("health", () => Effect.succeed(ok))
      .handle("ready", () =>
        readiness.check.pipe(
          Effect.mapError((error) => notReady(error.reason)),
          Effect.as(ok),
        ),
      )
      .handle("jwks", () => Effect.zipLeft(publicKeys.jwks, cacheFiveMinutes))
  }),
)

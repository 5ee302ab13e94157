import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { notReady } from "../problems/ProblemResponses.js"
import { ReadinessCheck } from "./ReadinessCheck.js"

const ok = { status: "ok" } as const

export const layer = HttpApiBuilder.group(Api, "ops", (handlers) =>
  Effect.gen(function* () {
    const readiness = yield* ReadinessCheck
    return handlers
      .handle("health", () => Effect.succeed(ok))
      .handle("ready", () =>
        readiness.check.pipe(
          Effect.mapError((error) => notReady(error.reason)),
          Effect.as(ok),
        ),
      )
  }),
)

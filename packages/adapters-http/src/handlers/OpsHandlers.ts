import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { problem, ServiceUnavailable } from "../Problem.js"
import { ReadinessCheck } from "../Readiness.js"

const ok = { status: "ok" } as const

export const OpsHandlers = HttpApiBuilder.group(Api, "ops", (handlers) =>
  Effect.gen(function* () {
    const readiness = yield* ReadinessCheck
    return handlers
      .handle("health", () => Effect.succeed(ok))
      .handle("ready", () =>
        readiness.check.pipe(
          Effect.mapError((notReady) => problem(ServiceUnavailable, "not_ready", notReady.reason)),
          Effect.as(ok),
        ),
      )
  }),
)

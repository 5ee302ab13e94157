import { type LimitRules, Limits, PasswordPolicy, UseCases } from "@userkit/domain"
import { Layer } from "effect"
import * as MemoryAdapters from "./MemoryAdapters.js"

/**
 * The whole domain (every use case) on in-memory adapters, fresh on each build, its ports still
 * reachable: what a test of use cases, or of anything built on them, provides. No limits apply,
 * so a test may fail a login as often as it likes; `limited` applies them. The password policy is
 * the default one.
 */
export const layer = UseCases.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(MemoryAdapters.layer, Limits.unlimited, PasswordPolicy.layer())),
)

/** The whole domain in memory with limits by `rules` (the defaults when absent), counted in memory. */
export const limited = (rules?: LimitRules) =>
  UseCases.layer.pipe(
    Layer.provideMerge(
      Layer.merge(Layer.provideMerge(Limits.layer(rules), MemoryAdapters.layer), PasswordPolicy.layer()),
    ),
  )

import { Schema } from "effect"

/**
 * A store (the database, later a cache) cannot be reached right now: refused, dropped or timed out
 * connections. Adapters raise it as a defect, since no use case can do anything about it; the HTTP
 * edge answers it with 503 and `Retry-After`. `reason` is the driver's message, never a row.
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  store: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `the ${this.store} is unavailable: ${this.reason}`
  }
}

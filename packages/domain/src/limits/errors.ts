import { Schema } from "effect"

/** Too many requests for one key (an address, an account): try again after `retryAfterSeconds`. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  retryAfterSeconds: Schema.Int.pipe(Schema.positive()),
}) {
  override get message() {
    return `too many attempts: try again in ${this.retryAfterSeconds} seconds`
  }
}

import { Schema } from "effect"

/**
 * A bounded resource (bcrypt's hashing) has as much work queued as it takes: this request is refused
 * at once rather than wait behind the others. Adapters raise it as a defect, since no use case can do
 * anything about it; the HTTP edge answers it with 503 and `Retry-After`.
 */
export class Overloaded extends Schema.TaggedError<Overloaded>()("Overloaded", {
  resource: Schema.String,
}) {
  override get message() {
    return `${this.resource} is overloaded: its queue is full`
  }
}

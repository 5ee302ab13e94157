import type { HttpApiError } from "@effect/platform"
import { Schema } from "effect"
import { type FieldError, problemType, UnprocessableContent } from "./Problem.js"

/**
 * The payload reports every wrong field, not only the first: parse options on an outer schema flow
 * down and merge with the domain schema's own (the domain's payloads refuse unknown fields).
 */
export const reportingAllErrors = <A, I, R>(schema: Schema.Schema<A, I, R>): Schema.Schema<A, I, R> =>
  Schema.suspend(() => schema).annotations({ parseOptions: { errors: "all" } })

// Default schema messages end in ", actual <the value sent>": cut, so no submitted value (a password) is echoed.
const withoutValue = (message: string): string => message.split(", actual ")[0] ?? message

const pointer = (path: ReadonlyArray<PropertyKey>): string =>
  ["#", ...path.map((key) => String(key).replaceAll("~", "~0").replaceAll("/", "~1"))].join("/")

// A body of thousands of unknown keys must not buy an answer larger than itself.
const MAX_FIELD_ERRORS = 20

// What an optional or nullable field also accepts: noise next to what was actually wrong with it.
const alternatives: ReadonlySet<string> = new Set(["Expected null", "Expected undefined"])

const messageOf = (issue: HttpApiError.HttpApiDecodeError["issues"][number]): string =>
  // Every payload is an object; at the root, the schema's own description would only confuse.
  issue.path.length === 0 && issue._tag === "Type" ? "the request body must be an object" : withoutValue(issue.message)

/** A schema failure as a 422 naming each wrong field once, with what is wrong with it. */
export const invalidPayload = (issues: HttpApiError.HttpApiDecodeError["issues"]): UnprocessableContent => {
  const byPointer = new Map<string, Array<string>>()
  for (const issue of issues) {
    const at = pointer(issue.path)
    const messages = byPointer.get(at) ?? []
    const message = messageOf(issue)
    if (!messages.includes(message)) messages.push(message)
    byPointer.set(at, messages)
  }
  const errors: ReadonlyArray<FieldError> = Array.from(byPointer, ([at, messages]) => {
    const relevant = messages.filter((message) => !alternatives.has(message))
    return { pointer: at, detail: (relevant.length > 0 ? relevant : messages).join("; ") }
  }).slice(0, MAX_FIELD_ERRORS)
  const more = byPointer.size > errors.length ? [`and ${byPointer.size - errors.length} more`] : []
  const detail = [
    ...errors.map((e) => (e.pointer === "#" ? e.detail : `${e.pointer.slice(2)}: ${e.detail}`)),
    ...more,
  ].join("; ")
  return new UnprocessableContent({ type: problemType("invalid_request"), code: "invalid_request", detail, errors })
}

import { Cause, Predicate } from "effect"

// An error's cause, and that cause's, and so on: no deeper than this.
const MAX_DEPTH = 4
const MAX_FRAMES = 12
const MAX_MESSAGE_LENGTH = 500

/**
 * A message with whatever could be a submitted or stored value taken out: quoted text (pg quotes
 * the value it refused), what a schema message says was "actual", pg's `(column)=(value)` pairs,
 * query strings, URL credentials, bearer credentials, bcrypt hashes and long token-like strings.
 */
export const scrub = (message: string): string =>
  message
    .replace(/,? actual [^\n]*/g, "")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "'…'")
    .replace(/=\([^)\n]*\)/g, "=(…)")
    .replace(/\?[^\s)]+/g, "?…")
    .replace(/\/\/[^\s/@]+@/g, "//…@")
    .replace(/\b(bearer|basic)\s+\S+/gi, "$1 …")
    .replace(/\$2[aby]?\$\d\d\$[./A-Za-z0-9]{20,}/g, "…")
    .replace(/[A-Za-z0-9+_=.-]{32,}/g, "…")
    .slice(0, MAX_MESSAGE_LENGTH)

// Names a database gives its own objects: safe, and what an operator looks for first.
const identifierKeys = ["code", "table", "column", "constraint"] as const

const kindOf = (u: object): string => {
  const tag = Reflect.get(u, "_tag")
  if (typeof tag === "string") return tag
  return u instanceof Error ? u.name : "a defect"
}

const describe = (u: unknown, depth: number): string => {
  if (typeof u === "string") return scrub(u)
  if (!Predicate.isObject(u)) return `a defect of type ${typeof u}`
  const message = Reflect.get(u, "message")
  const identifiers = identifierKeys.flatMap((key) => {
    const value = Reflect.get(u, key)
    return typeof value === "string" && /^[\w.-]{1,63}$/.test(value) ? [`${key}=${value}`] : []
  })
  const head = [
    kindOf(u),
    ...(identifiers.length > 0 ? [`[${identifiers.join(" ")}]`] : []),
    ...(typeof message === "string" && message !== "" ? [`: ${scrub(message)}`] : []),
  ].join("")
  const stack = Reflect.get(u, "stack")
  const frames =
    typeof stack === "string"
      ? stack
          .split("\n")
          .filter((line) => /^\s+at /.test(line))
          .slice(0, MAX_FRAMES)
      : []
  const cause = Reflect.get(u, "cause")
  const causedBy = cause !== undefined && depth < MAX_DEPTH ? [`caused by ${describe(cause, depth + 1)}`] : []
  return [head, ...frames, ...causedBy].join("\n")
}

/**
 * What the log may say about an unexpected failure or defect: each error's kind, the database's
 * names (SQLSTATE, table, constraint), its message scrubbed of values, and where it was thrown.
 * Never its other fields (pg's `detail` quotes the row) nor a plain object's contents.
 */
export const summarize = (cause: Cause.Cause<unknown>): string =>
  [...Cause.failures(cause), ...Cause.defects(cause)].map((error) => describe(error, 0)).join("\n")

import { createHash } from "node:crypto"
import { BreachedPasswords, traced } from "@userkit/domain"
import { Duration, Effect, Layer, Redacted } from "effect"

export interface Options {
  /** Where a Have I Been Pwned compatible API answers, e.g. `https://api.pwnedpasswords.com`. */
  readonly url: string
  /** How long to wait for the whole answer before failing open. Defaults to 2 seconds. */
  readonly timeout?: Duration.DurationInput
  /** How many sightings in breaches make a password breached, a whole number >= 1. Defaults to 1. */
  readonly threshold?: number
}

export const DEFAULT_TIMEOUT = Duration.seconds(2)

/**
 * SHA-1 of the UTF-8 of the password's NFKC form, in upper-case hex as the API writes it. NFKC, as
 * the hashers hash it: a password is accepted as its whole NFKC class, so that class's form is the
 * one to ask about; and it is what the breaches mostly hold, as text typed on most keyboards (NFC)
 * and ASCII are unchanged by it.
 */
const sha1 = (password: Redacted.Redacted<string>): string =>
  createHash("sha1").update(Redacted.value(password).normalize("NFKC"), "utf8").digest("hex").toUpperCase()

/** How many times `suffix` was seen, per a range answer's `SUFFIX:COUNT` lines (padding lines say 0). */
const sightings = (range: string, suffix: string): number => {
  for (const line of range.split("\n")) {
    const [candidate, count] = line.trim().split(":")
    if (candidate?.toUpperCase() === suffix) return Number.parseInt(count ?? "", 10) || 0
  }
  return 0
}

// What a failure is called in the log: never the URL (it holds the hash's prefix), nor a message that might.
const failureOf = (error: unknown): string => {
  const cause = error instanceof Error ? error.cause : undefined
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return `could not be reached (${code})`
  return error instanceof Error && /^[A-Za-z]+$/.test(error.name) ? `failed (${error.name})` : "failed"
}

class Unanswered extends Error {}

/**
 * A BreachedPasswords over the range API of Have I Been Pwned (k-anonymity): only the first 5 hex
 * characters of the password's SHA-1 leave the service; the API answers every suffix it knows under
 * that prefix (padded with decoys counted 0, so the answer's size tells nothing either), and the
 * match is made here. Fails open: a timeout, a status other than 200 or an unreachable server is a
 * warning in the log and the answer "not breached", so an outage there never blocks a registration.
 */
export const make = (options: Options): Effect.Effect<BreachedPasswords["Type"]> => {
  const threshold = options.threshold ?? 1
  const timeout = Duration.decode(options.timeout ?? DEFAULT_TIMEOUT)
  if (!Number.isInteger(threshold) || threshold < 1 || !Duration.greaterThan(timeout, Duration.zero)) {
    return Effect.dieMessage("pwned passwords threshold must be a whole number >= 1 and timeout above 0")
  }
  if (!URL.canParse(options.url)) return Effect.dieMessage("pwned passwords url must be an absolute URL")
  const base = options.url.replace(/\/+$/, "")

  // The body is read under the same signal: a server that stalls after its headers is cut off too.
  const range = (prefix: string) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${base}/range/${prefix}`, {
          headers: { "add-padding": "true", "user-agent": "userkit" },
          signal,
        })
        if (response.status !== 200) {
          await response.body?.cancel()
          throw new Unanswered(`answered ${response.status}`)
        }
        return await response.text()
      },
      catch: (error) => (error instanceof Unanswered ? error.message : failureOf(error)),
    }).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => `gave no answer within ${Duration.format(timeout)}` }),
    )

  return Effect.succeed(
    BreachedPasswords.of({
      isBreached: Effect.fnUntraced(function* (password) {
        const hash = sha1(password)
        return yield* range(hash.slice(0, 5)).pipe(
          Effect.map((answer) => sightings(answer, hash.slice(5)) >= threshold),
          Effect.catchAll((reason) =>
            Effect.logWarning(`pwned passwords ${reason}: the password was not checked against breaches`).pipe(
              Effect.as(false),
            ),
          ),
        )
      }, traced("PwnedPasswords.isBreached")),
    }),
  )
}

/** The domain's BreachedPasswords over a Have I Been Pwned compatible API; dies at build for bad options. */
export const layer = (options: Options): Layer.Layer<BreachedPasswords> =>
  Layer.effect(BreachedPasswords, make(options))

import { timingSafeEqual } from "node:crypto"
import { Digests, type SortField, type SortPosition, UserId } from "@userkit/domain"
import { Context, Effect, Either, Encoding, Layer, Option, Redacted, Schema } from "effect"
import { fieldProblem, type UnprocessableContent } from "../problems/Problem.js"

/** Which listing a cursor pages: one made by the directory is no good for administration, nor back. */
export type Listing = "directory" | "admin"

/** What a cursor is bound to: a cursor made for another listing, sort or order is refused, never misread. */
export interface CursorScope {
  readonly listing: Listing
  readonly sort: SortField
  readonly descending: boolean
}

export const MIN_CURSOR_KEY_BYTES = 32

/**
 * Opaque keyset cursors: `<payload>.<tag>`, both base64url. The payload is the position (the last
 * item's sort key and id: what the caller was just shown); the tag an HMAC-SHA256 of the payload
 * and its scope, so a forged, altered or foreign cursor is refused instead of revealing the order.
 */
export class ListingCursors extends Context.Tag("userkit/http/ListingCursors")<
  ListingCursors,
  {
    readonly sign: (scope: CursorScope, position: SortPosition) => Effect.Effect<string>
    readonly verify: (scope: CursorScope, cursor: string) => Effect.Effect<SortPosition, UnprocessableContent>
  }
>() {}

const invalidCursor = () =>
  fieldProblem(
    "invalid_cursor",
    "#/after",
    "the cursor is not valid for this listing and order: start again without `after`",
  )

const Position = Schema.parseJson(Schema.Tuple(Schema.String, UserId))

const signed = (scope: CursorScope, payload: string) =>
  ["userkit-cursor", scope.listing, scope.sort, scope.descending ? "desc" : "asc", payload].join("\n")

// One spelling per value: the decoder tolerates unused bits and line breaks, the cursor does not.
const canonicalBytes = (text: string): Option.Option<Uint8Array<ArrayBuffer>> =>
  Either.getRight(Encoding.decodeBase64Url(text)).pipe(
    Option.filter((bytes) => bytes.length > 0 && Encoding.encodeBase64Url(bytes) === text),
    Option.map((bytes) => new Uint8Array(bytes)),
  )

/** Tags by the domain's Digests (node:crypto in the app: on the caller's turn, not a Web Crypto job's). */
const make = (key: Redacted.Redacted<Uint8Array>) =>
  Effect.gen(function* () {
    const mac = yield* Effect.flatMap(Digests, (digests) => digests.hmacSha256(Redacted.value(key)))
    const sign = (scope: CursorScope, position: SortPosition) => {
      const payload = Encoding.encodeBase64Url(Schema.encodeSync(Position)([position.key, position.id]))
      return Effect.map(mac(signed(scope, payload)), (tag) => `${payload}.${Encoding.encodeBase64Url(tag)}`)
    }
    const verify = (scope: CursorScope, cursor: string) =>
      Effect.gen(function* () {
        const [payload, tagText, ...rest] = cursor.split(".")
        const tag = Option.fromNullable(tagText).pipe(Option.flatMap(canonicalBytes))
        if (payload === undefined || Option.isNone(tag) || rest.length > 0) return yield* Effect.fail(invalidCursor())
        const expected = yield* mac(signed(scope, payload))
        // In constant time, as Web Crypto's verify compares (a tag's length is no secret).
        const authentic = tag.value.length === expected.length && timingSafeEqual(tag.value, expected)
        if (!authentic) return yield* Effect.fail(invalidCursor())
        const [key, id] = yield* Encoding.decodeBase64UrlString(payload).pipe(
          Either.flatMap(Schema.decodeEither(Position)),
          Either.mapLeft(invalidCursor),
        )
        return { key, id } satisfies SortPosition
      })
    return ListingCursors.of({ sign, verify })
  })

/** Cursors signed with `key`. */
export const layer = (key: Redacted.Redacted<Uint8Array>) => Layer.effect(ListingCursors, make(key))

import { expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { aRegistration, bearer, register, type TestRegistration } from "./Fixtures.js"
import { send } from "./Http.js"

export const directoryPath = "/api/v1/users"
export const adminUsersPath = "/api/v1/admin/users"

const Item = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  full_name: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  email: Schema.optional(Schema.String),
})
export type Item = typeof Item.Type

const Page = Schema.Struct({
  items: Schema.Array(Item),
  total: Schema.Number,
  total_is_exact: Schema.Boolean,
  page: Schema.NullOr(Schema.Number),
  size: Schema.Number,
  pages: Schema.Number,
  next_cursor: Schema.NullOr(Schema.String),
})
export const pageOf = Schema.decodeUnknownSync(Page)

/** One GET of a listing (the directory unless `path` says otherwise) with the caller's token. */
export const list = (token: string, query: string, path = directoryPath) =>
  send(`${path}?${query}`, { headers: bearer(token) })

let groups = 0
/**
 * `count` users sharing a fresh search tag, registered in order; their usernames sort in that order.
 * `fields` sets more of each one's registration (a full name, an email).
 */
export const aGroup = (count: number, fields: (index: number) => Partial<TestRegistration> = () => ({})) =>
  Effect.gen(function* () {
    groups += 1
    const tag = `grp${Date.now().toString(36)}x${groups}`
    const users = []
    for (let i = 0; i < count; i++)
      users.push(yield* register({ ...aRegistration(), username: `${tag}_${i}`, ...fields(i) }))
    return { tag, users }
  })

/** Every item of a listing, following `next_cursor` from the first page; fails on any answer but a 200. */
export const walk = (token: string, query: string, path = directoryPath) =>
  Effect.gen(function* () {
    const items: Array<Item> = []
    let after = ""
    for (let round = 0; round < 100; round++) {
      const answer = yield* list(token, `${query}${after}`, path)
      expect(answer.status, answer.text).toBe(200)
      const page = pageOf(answer.body)
      items.push(...page.items)
      if (page.next_cursor === null) return items
      after = `&after=${encodeURIComponent(page.next_cursor)}`
    }
    return expect.fail("the cursors never ended")
  })

/** What a cursor carries in the clear: its payload (the part before the tag), decoded. */
export const cursorPayload = (cursor: string): unknown =>
  JSON.parse(Buffer.from(cursor.split(".")[0] ?? "", "base64url").toString("utf8"))

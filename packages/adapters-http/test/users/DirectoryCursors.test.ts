import { expect, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { loggedIn, loggedInSuperuser } from "../support/Fixtures.js"
import { expectProblem } from "../support/Http.js"
import { adminUsersPath, aGroup, cursorPayload, type Item, list, pageOf, walk } from "../support/Listing.js"
import { testApp } from "../support/TestApp.js"

/** The sort key a directory cursor may carry for the last item shown: a value on the page, and nothing else. */
const shownKey = (item: Item, sort: string) =>
  sort === "created_at" ? item.created_at : sort === "username" ? item.username.toLowerCase() : (item.full_name ?? "")

layer(testApp(), { excludeTestServices: true })("the directory's cursors", (it) => {
  it.effect("follows next_cursor through every match once, in every order it offers, both ways", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const names = ["Zoe", null, "ada", "Ada", "Émile"]
      const { tag, users } = yield* aGroup(5, (i) => {
        const full_name = names[i]
        return typeof full_name === "string" ? { full_name } : {}
      })
      for (const sort of ["created_at", "username", "full_name"]) {
        for (const order of ["asc", "desc"]) {
          const query = `search=${tag}&sort=${sort}&order=${order}`
          const all = pageOf((yield* list(viewer.token, `${query}&size=100`)).body).items.map((u) => u.id)
          expect(all.slice().sort()).toEqual(users.map((u) => u.id).sort())
          const walked = yield* walk(viewer.token, `${query}&size=2`)
          expect(
            walked.map((u) => u.id),
            query,
          ).toEqual(all)
        }
      }
      const second = pageOf((yield* list(viewer.token, `search=${tag}&size=2`)).body)
      const after = encodeURIComponent(second.next_cursor ?? "")
      expect(pageOf((yield* list(viewer.token, `search=${tag}&size=2&after=${after}`)).body).page).toBeNull()
    }),
  )

  it.effect("lets no cursor tell an email: a cursor carries the last item's shown sort key and id, nothing else", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(3, (i) => ({ full_name: `Person ${3 - i}` }))
      const emails = users.map((u) => u.email.toLowerCase())
      for (const sort of ["created_at", "username", "full_name", "email"]) {
        for (const order of ["asc", "desc"]) {
          const answer = yield* list(viewer.token, `search=${tag}&size=1&sort=${sort}&order=${order}`)
          if (sort === "email") {
            expectProblem(answer, 422, "invalid_request")
            continue
          }
          const page = pageOf(answer.body)
          const [last] = page.items
          if (last === undefined || page.next_cursor === null) return expect.fail(`${sort}: a first page of one`)
          const carried = cursorPayload(page.next_cursor)
          for (const email of emails) expect(JSON.stringify(carried).toLowerCase()).not.toContain(email)
          expect(carried, sort).toEqual([shownKey(last, sort), last.id])
        }
      }
    }),
  )

  it.effect("refuses a forged, altered, truncated or foreign cursor, or one for another order: 422 naming after", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const admin = yield* loggedInSuperuser
      const { tag, users } = yield* aGroup(3)
      const query = `search=${tag}&size=1&sort=username`
      const cursor = pageOf((yield* list(viewer.token, query)).body).next_cursor ?? ""
      const [payload = "", mac = ""] = cursor.split(".")
      expect(mac).not.toBe("")
      const forged = Buffer.from(JSON.stringify([users[2]?.username.toLowerCase(), users[2]?.id])).toString("base64url")
      const flipped = `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`
      const fromAdmin = pageOf((yield* list(admin.token, query, adminUsersPath)).body).next_cursor ?? ""
      const refused: ReadonlyArray<readonly [string, string]> = [
        ["an altered position", `${forged}.${mac}`],
        ["an altered tag", `${payload}.${flipped}`],
        ["a truncated cursor", cursor.slice(0, -2)],
        ["no tag", payload],
        ["another spelling", `${payload}.${mac}=`],
        ["the seed's cursor", "WyJ1c2VybmFtZSIsZmFsc2UsImEiLCIxIl0"],
        ["garbage", "garbage"],
        ["a cursor of /admin/users", fromAdmin],
      ]
      for (const [what, after] of refused) {
        const problem = expectProblem(
          yield* list(viewer.token, `${query}&after=${encodeURIComponent(after)}`),
          422,
          "invalid_cursor",
        )
        expect(
          problem.errors?.map((e) => e.pointer),
          what,
        ).toEqual(["#/after"])
      }
      for (const other of ["sort=username&order=desc", "sort=full_name", "sort=created_at", ""]) {
        const answer = yield* list(viewer.token, `search=${tag}&${other}&after=${encodeURIComponent(cursor)}`)
        expectProblem(answer, 422, "invalid_cursor")
      }
      // The directory's cursor is no good for administration either.
      expectProblem(
        yield* list(admin.token, `${query}&after=${encodeURIComponent(cursor)}`, adminUsersPath),
        422,
        "invalid_cursor",
      )
      expect((yield* list(viewer.token, `${query}&after=${encodeURIComponent(cursor)}`)).status).toBe(200)
    }),
  )

  it.effect("refuses its cursors on an app with another key, as after SECRET_KEY is rotated", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag } = yield* aGroup(2)
      const cursor = pageOf((yield* list(viewer.token, `search=${tag}&size=1`)).body).next_cursor ?? ""
      const elsewhere = Effect.gen(function* () {
        const other = yield* loggedIn
        return yield* list(other.token, `search=${tag}&size=1&after=${encodeURIComponent(cursor)}`)
      })
      const rotated = Redacted.make(new TextEncoder().encode("the cursor key after a rotation, 32+ bytes"))
      expectProblem(yield* Effect.provide(elsewhere, testApp({ cursorKey: rotated })), 422, "invalid_cursor")
      expect((yield* Effect.provide(elsewhere, testApp())).status).toBe(200)
    }),
  )
})

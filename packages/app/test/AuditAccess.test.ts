import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DurableStore, durableStore, startWithSuperuser } from "./support/durableStore.js"
import { get, postJson } from "./support/http.js"
import type { ServerProcess } from "./support/serverProcess.js"

// Who may read the security events: a superuser every account's (the audit trail), a user their
// own, a stranger nothing; and what a malformed query gets (a 422, never a 500).

const password = "a long enough passphrase"
const root = { email: "root@example.com", username: "root", password }

interface Event {
  readonly id: string
  readonly type: string
  readonly actor_id: string | null
  readonly user_id: string | null
}
const itemsOf = (json: Record<string, unknown>) => json.items as ReadonlyArray<Event>

describe("reading security events", () => {
  let store: DurableStore
  let server: ServerProcess
  let rootToken: string
  const api = (path: string) => `${server.url}/api/v1${path}`
  const users = new Map<string, { id: string; token: string }>()
  const tokenOf = (name: string) => users.get(name)?.token ?? ""
  const idOf = (name: string) => users.get(name)?.id ?? ""

  const signUp = async (username: string) => {
    const created = await postJson(api("/auth/register"), { email: `${username}@example.com`, username, password })
    expect(created.status).toBe(201)
    const login = await postJson(api("/auth/login"), { username, password })
    expect(login.status).toBe(200)
    users.set(username, { id: String(created.json.id), token: String(login.json.access_token) })
  }

  beforeAll(async () => {
    store = await durableStore()
    server = await startWithSuperuser(store, {}, root)
    const login = await postJson(api("/auth/login"), { username: root.username, password })
    expect(login.status).toBe(200)
    rootToken = String(login.json.access_token)
    await signUp("alice")
    await signUp("bob")
    // Bob fails once and succeeds again: events about him alone.
    expect((await postJson(api("/auth/login"), { username: "bob", password: "a wrong passphrase" })).status).toBe(401)
    expect((await postJson(api("/auth/login"), { username: "bob", password })).status).toBe(200)
  }, 120_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await store?.cleanup()
  })

  it("shows the audit trail to a superuser only: a stranger gets a 401, an ordinary user a 403", async () => {
    const stranger = await get(api("/admin/audit"))
    expect([stranger.status, stranger.contentType]).toEqual([401, "application/problem+json"])
    const ordinary = await get(api("/admin/audit"), tokenOf("alice"))
    expect([ordinary.status, ordinary.contentType]).toEqual([403, "application/problem+json"])
    const superuser = await get(api("/admin/audit"), rootToken)
    expect(superuser.status).toBe(200)
    const targets = itemsOf(superuser.json).map((event) => event.user_id)
    expect(targets).toEqual(expect.arrayContaining([idOf("alice"), idOf("bob")]))
  })

  it("filters the audit trail by account, type and time, a page at a time", async () => {
    const bob = idOf("bob")
    const filtered = await get(api(`/admin/audit?user_id=${bob}&type=logged_in,login_failed`), rootToken)
    expect(filtered.status).toBe(200)
    expect(itemsOf(filtered.json).map((event) => [event.type, event.user_id])).toEqual([
      ["logged_in", bob],
      ["login_failed", bob],
      ["logged_in", bob],
    ])

    const everything = itemsOf((await get(api(`/admin/audit?user_id=${bob}`), rootToken)).json)
    expect(everything.map((event) => event.type).sort()).toEqual([
      "email_verification_requested",
      "logged_in",
      "logged_in",
      "login_failed",
      "registered",
    ])
    // Two at a time, each page's next_cursor passed on, until there is none: the same events in the same order.
    const paged: Array<Event> = []
    for (let cursor = "", pages = 0; pages < 5; pages++) {
      const page = await get(api(`/admin/audit?user_id=${bob}&limit=2${cursor}`), rootToken)
      expect(page.status).toBe(200)
      expect(itemsOf(page.json).length).toBeLessThanOrEqual(2)
      paged.push(...itemsOf(page.json))
      if (page.json.next_cursor === null) break
      cursor = `&cursor=${String(page.json.next_cursor)}`
    }
    expect(paged).toEqual(everything)

    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())
    const none = await get(api(`/admin/audit?since=${future}`), rootToken)
    expect([none.status, itemsOf(none.json).length]).toEqual([200, 0])
    const past = await get(api(`/admin/audit?user_id=${bob}&until=${future}`), rootToken)
    expect(itemsOf(past.json)).toEqual(everything)
  })

  it("shows a user their own events and no one else's, and a stranger a 401", async () => {
    expect((await get(api("/users/me/events"))).status).toBe(401)
    const own = await get(api("/users/me/events"), tokenOf("alice"))
    expect(own.status).toBe(200)
    const events = itemsOf(own.json)
    expect(events.map((event) => event.type).sort()).toEqual([
      "email_verification_requested",
      "logged_in",
      "registered",
    ])
    for (const event of events) expect(event.user_id).toBe(idOf("alice"))
    // An owner does not see the operators' detail.
    expect(events[0]).not.toHaveProperty("detail")
    expect(JSON.stringify(own.json)).not.toContain(idOf("bob"))
  })

  it.each([
    ["/admin/audit?type=nonsense"],
    ["/admin/audit?type=logged_in,nonsense"],
    ["/admin/audit?since=yesterday"],
    ["/admin/audit?until=2026-13-45T00:00:00Z"],
    ["/admin/audit?limit=0"],
    ["/admin/audit?limit=101"],
    ["/admin/audit?limit=ten"],
    ["/admin/audit?cursor=garbage"],
    ["/admin/audit?user_id=42"],
    ["/users/me/events?limit=0"],
    ["/users/me/events?cursor=garbage"],
  ])("refuses %s with a 422 problem", async (path) => {
    const answer = await get(api(path), path.startsWith("/admin") ? rootToken : tokenOf("alice"))
    expect([answer.status, answer.contentType]).toEqual([422, "application/problem+json"])
  })
})

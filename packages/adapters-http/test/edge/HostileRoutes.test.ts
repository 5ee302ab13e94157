import { expect, layer } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { bearer, loggedIn, loggedInSuperuser } from "../support/Fixtures.js"
import { send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

interface Garbage {
  readonly name: string
  readonly query?: string
  readonly headers?: Record<string, string>
  readonly body?: string | Uint8Array<ArrayBuffer>
}

const json = { "content-type": "application/json" }
const form = { "content-type": "application/x-www-form-urlencoded" }
const multipart = { "content-type": "multipart/form-data; boundary=zz" }

// What a careless or hostile client sends to the new routes; none of it may earn a 5xx or go unanswered.
const garbage: ReadonlyArray<Garbage> = [
  { name: "broken JSON", headers: json, body: '{"bio": "x",' },
  { name: "a JSON array", headers: json, body: "[1,2,3]" },
  { name: "JSON null", headers: json, body: "null" },
  { name: "a JSON string", headers: json, body: '"is_superuser"' },
  { name: "wrong types", headers: json, body: '{"email":1,"is_superuser":"yes","password":[],"new_password":{}}' },
  { name: "invalid UTF-8", headers: json, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) },
  { name: "a garbled form", headers: form, body: "%%%&&==&bio&is_superuser=1" },
  { name: "an empty multipart body", headers: multipart, body: "" },
  { name: "multipart without a boundary", headers: { "content-type": "multipart/form-data" }, body: "" },
  {
    name: "multipart named in a parameter",
    headers: { "content-type": `${form["content-type"]}; x=${multipart["content-type"]}` },
    body: "--zz\r\n",
  },
  { name: "NUL bytes", headers: json, body: '{"bio":"\\u0000","full_name":"\\u0000"}' },
  { name: "absurd numbers", query: "page=1e400&size=-0&skip=NaN&limit=0x10" },
  { name: "repeated and array params", query: "page=1&page=2&is_active[]=true&sort=username&sort=email" },
  { name: "control characters", query: "search=%00%01%1b[31m&after=%00" },
  { name: "a forged cursor", query: "after=WyJjcmVhdGVkX2F0IixmYWxzZSwiIiwiMSJd" },
  { name: "a long query", query: `search=${"%F0%9F%98%80".repeat(500)}&after=${"A".repeat(5000)}` },
]

const Paths = Schema.Struct({
  paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
})

layer(testApp(), { excludeTestServices: true })("garbage sent to the user and admin routes", (it) => {
  it.effect("never earns a 5xx or a hang, for anyone, and every refusal is problem+json", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const admin = yield* loggedInSuperuser
      const document = Schema.decodeUnknownSync(Paths)((yield* send("/openapi.json")).body)
      const routes = Object.entries(document.paths)
        .filter(([path]) => path.startsWith("/api/v1/users") || path.startsWith("/api/v1/admin"))
        .flatMap(([path, item]) => Object.keys(item).map((method) => ({ path, method: method.toUpperCase() })))
      for (const id of ["{id}", "..%2F..%2Fetc%2Fpasswd", "%00", "00000000-0000-0000-0000-000000000000"]) {
        routes.push(
          { path: `/api/v1/users/${id}`, method: "GET" },
          { path: `/api/v1/admin/users/${id}`, method: "PATCH" },
        )
      }
      routes.push({ path: "/api/v1/users/", method: "GET" }, { path: "/api/v1/admin/users/", method: "POST" })
      expect(routes.length).toBeGreaterThanOrEqual(20)

      const failures: Array<string> = []
      // The user goes last: its own account may get deactivated on the way.
      for (const identity of [{}, bearer(admin.token), bearer(user.token)]) {
        for (const { path, method } of routes) {
          for (const input of garbage) {
            const withBody = method !== "GET" && input.body !== undefined
            // A GET sends no body: garbage that is only a body would repeat a plain GET.
            if (method === "GET" && input.query === undefined) continue
            const exit = yield* Effect.exit(
              send(`${path.replaceAll("{id}", admin.id)}?${input.query ?? ""}`, {
                method,
                headers: { ...identity, ...input.headers },
                ...(withBody ? { body: input.body } : {}),
                timeoutMs: 1000,
              }),
            )
            if (Exit.isFailure(exit)) {
              failures.push(`${method} ${path} ${input.name}: no answer within a second`)
              continue
            }
            const answer = exit.value
            const type = answer.headers.get("content-type") ?? ""
            if (answer.status >= 500 || (answer.status >= 400 && type !== "application/problem+json"))
              failures.push(`${method} ${path} ${input.name}: ${answer.status} ${type}`)
          }
        }
      }
      expect(failures).toEqual([])
    }),
  )
})

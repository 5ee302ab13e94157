import { createServer } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { AppConfig, appLayer } from "../src/index.js"
import { freePort } from "./support/serverProcess.js"

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const algNone = `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: "0190a000-0000-7000-8000-000000000001", exp: 4102444800 })}.`
const nested = `{"email":${"[".repeat(5000)}${"]".repeat(5000)}}`

interface Hostile {
  readonly name: string
  readonly headers: Record<string, string>
  readonly body?: string | Uint8Array<ArrayBuffer>
}

// What a careless or hostile client sends; none of it may earn a 5xx.
const hostile: ReadonlyArray<Hostile> = [
  { name: "broken JSON", headers: { "content-type": "application/json" }, body: '{"email": "a@b.c",' },
  { name: "a JSON array", headers: { "content-type": "application/json" }, body: "[1,2,3]" },
  { name: "JSON null", headers: { "content-type": "application/json" }, body: "null" },
  {
    name: "wrong field types",
    headers: { "content-type": "application/json" },
    body: '{"email":1,"username":{},"password":[]}',
  },
  { name: "deep nesting", headers: { "content-type": "application/json" }, body: nested },
  { name: "a huge body", headers: { "content-type": "application/json" }, body: `{"bio":"${"x".repeat(2_000_000)}"}` },
  {
    name: "invalid UTF-8",
    headers: { "content-type": "application/json" },
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
  },
  { name: "text/plain", headers: { "content-type": "text/plain" }, body: "hello" },
  { name: "multipart", headers: { "content-type": "multipart/form-data; boundary=x" }, body: "--x\r\n\r\n--x--" },
  {
    name: "a garbled form",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "%%%&&==&username",
  },
  { name: "a garbage token", headers: { authorization: "Bearer not.a.token" } },
  { name: "an alg:none token", headers: { authorization: `Bearer ${algNone}` } },
  { name: "a non-bearer scheme", headers: { authorization: "Basic YWRhOnNlY3JldA==" } },
  { name: "an enormous header token", headers: { authorization: `Bearer ${"a".repeat(6000)}` } },
]

const withBody = (method: string) => method !== "get" && method !== "head"

describe("hostile input against every route", () => {
  it.scoped("never earns a 5xx, and every refusal is problem+json", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const env = { PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4", LOG_LEVEL: "off" }
      const config = yield* AppConfig.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      )
      yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
      const url = `http://127.0.0.1:${port}`

      const document = yield* Effect.promise(() => fetch(`${url}/openapi.json`).then((r) => r.json()))
      const routes = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => ({ path, method })),
      )
      routes.push(
        { path: "/api/v1/nowhere", method: "post" },
        { path: "/api/v1/users/../../etc/passwd", method: "get" },
      )
      expect(routes.length).toBeGreaterThanOrEqual(5)

      const answers: Array<string> = []
      for (const { path, method } of routes) {
        for (const input of hostile) {
          const response = yield* Effect.promise(() =>
            fetch(`${url}${path}`, {
              method: method.toUpperCase(),
              headers: input.headers,
              ...(withBody(method) && input.body !== undefined ? { body: input.body } : {}),
            }).then(async (r) => ({
              status: r.status,
              type: r.headers.get("content-type") ?? "",
              text: await r.text(),
            })),
          )
          answers.push(`${method.toUpperCase()} ${path} with ${input.name}: ${response.status}`)
          expect(response.status, `${method} ${path} with ${input.name}`).toBeLessThan(500)
          if (response.status >= 400) {
            expect(response.type, `${method} ${path} with ${input.name}`).toContain("application/problem+json")
            expect(JSON.parse(response.text)).toHaveProperty("code")
          }
        }
      }
      expect(answers.length).toBe(routes.length * hostile.length)
    }),
  )
})

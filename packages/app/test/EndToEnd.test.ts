import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createRemoteJWKSet, jwtVerify } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabase, testDatabaseUrl } from "./support/databases.js"
import { get, postForm, postJson, send } from "./support/http.js"
import { registerAcrossStop, type ServerProcess, startServer } from "./support/serverProcess.js"

interface Engine {
  readonly name: string
  readonly env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>
}

const embedded: Engine = {
  name: "the embedded engine",
  env: async () => {
    const dir = await mkdtemp(join(tmpdir(), "userkit-e2e-"))
    return { env: { DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) }
  },
}

const postgres = (adminUrl: string): Engine => ({
  name: "PostgreSQL",
  env: async () => {
    const dir = await mkdtemp(join(tmpdir(), "userkit-e2e-"))
    const db = await freshDatabase(adminUrl)
    return {
      env: { DATA_DIR: dir, DATABASE_URL: db.url },
      cleanup: async () => {
        await db.drop()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
})

const engines = [embedded, ...(testDatabaseUrl === undefined ? [] : [postgres(testDatabaseUrl)])]

describe.each(engines)("the server process on $name", (engine) => {
  let env: Record<string, string>
  let cleanup: () => Promise<void>
  let server: ServerProcess
  const password = "a long enough passphrase ü"

  beforeAll(async () => {
    ;({ env, cleanup } = await engine.env())
    // A reuse window of 1 s, so that a test can outwait it.
    env = { ...env, REFRESH_REUSE_WINDOW_SECONDS: "1" }
    server = await startServer(env)
  }, 120_000)

  afterAll(async () => {
    await server.stop("SIGKILL")
    await cleanup()
  })

  it("registers, logs in by form and by JSON, answers me, and keeps the account across a restart", async () => {
    const registered = await postJson(`${server.url}/api/v1/auth/register`, {
      email: "Ada@Example.com",
      username: "ada",
      password,
      full_name: "Ada Lovelace",
    })
    expect(registered.status).toBe(201)
    expect(registered.json).toMatchObject({ email: "Ada@Example.com", username: "ada", is_active: true })

    const byForm = await postForm(`${server.url}/api/v1/auth/login`, { username: "ada@example.com", password })
    expect(byForm.status).toBe(200)
    expect(byForm.json).toMatchObject({ token_type: "bearer", user: { id: registered.json.id } })
    const byJson = await postJson(`${server.url}/api/v1/auth/login`, { username: "ADA", password })
    expect(byJson.status).toBe(200)
    const token = String(byJson.json.access_token)

    const me = await get(`${server.url}/api/v1/auth/me`, token)
    expect(me.status).toBe(200)
    expect(me.json).toEqual(registered.json)

    const duplicate = await postJson(`${server.url}/api/v1/auth/register`, {
      email: "ada@EXAMPLE.com",
      username: "someone",
      password,
    })
    expect(duplicate.status).toBe(409)
    expect(duplicate.contentType).toContain("application/problem+json")

    expect(await server.stop("SIGTERM")).toBe(0)
    // Nothing secret reached the logs: neither the password nor a token.
    expect(server.output()).not.toContain(password)
    expect(server.output()).not.toContain(token)
    expect(server.output()).toMatch(/POST/)

    server = await startServer(env)
    const again = await postJson(`${server.url}/api/v1/auth/login`, { username: "ada", password })
    expect(again.status).toBe(200)
    expect((await get(`${server.url}/api/v1/auth/me`, token)).json).toEqual(registered.json)
  }, 120_000)

  it("runs the seed flow: register, login, me, update, get by id, list, deactivate, login refused", async () => {
    const api = `${server.url}/api/v1`
    const register = (username: string) =>
      postJson(`${api}/auth/register`, { email: `${username}@example.com`, username, password })
    const grace = await register("grace")
    expect(grace.status).toBe(201)
    const registeredAlan = await register("alan")
    expect(registeredAlan.status).toBe(201)
    const token = String((await postForm(`${api}/auth/login`, { username: "grace", password })).json.access_token)
    expect((await get(`${api}/auth/me`, token)).json).toMatchObject({ username: "grace" })

    const updated = await send("PATCH", `${api}/users/me`, { token, body: { full_name: "Grace Hopper", bio: "COBOL" } })
    expect(updated.status).toBe(200)
    expect(updated.json).toMatchObject({ full_name: "Grace Hopper", bio: "COBOL", username: "grace" })

    const alan = await get(`${api}/users/${String(registeredAlan.json.id)}`, token)
    expect(alan.status).toBe(200)
    expect(alan.json).toMatchObject({ username: "alan" })
    expect(alan.json).not.toHaveProperty("email")

    const listed = await get(`${api}/users?search=grace%20hopper&size=5`, token)
    expect(listed.status).toBe(200)
    expect(listed.json).toMatchObject({ total: 1, page: 1, size: 5, pages: 1 })

    expect((await send("DELETE", `${api}/users/me`, { token })).status).toBe(204)
    expect((await get(`${api}/auth/me`, token)).status).toBe(401)
    expect((await postJson(`${api}/auth/login`, { username: "grace", password })).status).toBe(401)
  }, 60_000)

  it("lets exactly one of 50 concurrent registrations of one email through", async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        postJson(`${server.url}/api/v1/auth/register`, {
          email: i % 2 === 0 ? "race@example.com" : "RACE@example.com",
          username: `racer${i}`,
          password,
        }),
      ),
    )
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1)
    expect(answers.filter((a) => a.status === 409)).toHaveLength(49)
  }, 60_000)

  it("rotates refresh tokens: 10 concurrent refreshes with one token get one new pair; a reuse after the window ends the session; logout works", async () => {
    const api = `${server.url}/api/v1`
    await postJson(`${api}/auth/register`, { email: "rota@example.com", username: "rota", password })
    const login = await postForm(`${api}/auth/login`, { username: "rota", password })
    const refreshToken = String(login.json.refresh_token)
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => postJson(`${api}/auth/refresh`, { refresh_token: refreshToken })),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200))
    const pairs = new Set(answers.map((a) => `${a.json.access_token} ${a.json.refresh_token}`))
    expect(pairs.size).toBe(1)
    const next = answers[0]?.json ?? {}
    expect((await get(`${api}/auth/me`, String(next.access_token))).status).toBe(200)
    const listed = await get(`${api}/auth/sessions`, String(next.access_token))
    expect(listed.json).toMatchObject([{ current: true }])
    // The embedded engine and PostgreSQL both keep one successor per token: the next refresh goes on.
    const third = await postJson(`${api}/auth/refresh`, { refresh_token: String(next.refresh_token) })
    expect(third.status).toBe(200)
    // Past the window, the first token is a stolen copy: the session ends, its newest tokens with it.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await postJson(`${api}/auth/refresh`, { refresh_token: refreshToken })).json).toMatchObject({
      status: 401,
      code: "refresh_token_reused",
    })
    expect((await get(`${api}/auth/me`, String(third.json.access_token))).status).toBe(401)
    const again = await postForm(`${api}/auth/login`, { username: "rota", password })
    const logout = await send("POST", `${api}/auth/logout`, { body: {}, token: String(again.json.access_token) })
    expect(logout.status).toBe(204)
    expect((await get(`${api}/auth/me`, String(again.json.access_token))).status).toBe(401)
    expect(
      (await postJson(`${api}/auth/refresh`, { refresh_token: String(again.json.refresh_token) })).json,
    ).toMatchObject({
      code: "invalid_refresh_token",
    })
  }, 60_000)

  it("signs access tokens with EdDSA: another service verifies them with jose from /.well-known/jwks.json alone", async () => {
    const api = `${server.url}/api/v1`
    await postJson(`${api}/auth/register`, { email: "jwks@example.com", username: "jwks", password })
    const token = String((await postForm(`${api}/auth/login`, { username: "jwks", password })).json.access_token)
    const jwks = await get(`${server.url}/.well-known/jwks.json`)
    expect(jwks.status).toBe(200)
    expect(jwks.headers.get("cache-control")).toBe("public, max-age=300")
    expect(jwks.json).toMatchObject({ keys: [{ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" }] })
    expect(JSON.stringify(jwks.json)).not.toContain('"d"')
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      { issuer: "userkit", audience: "userkit-api", typ: "at+jwt" },
    )
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", typ: "at+jwt" })
    expect(payload).toMatchObject({ sub: expect.any(String), sid: expect.any(String) })
  }, 60_000)

  it("answers /ready once the database is migrated", async () => {
    const ready = await get(`${server.url}/ready`)
    expect(ready.status).toBe(200)
  })

  it("finishes a request in flight when told to stop, then exits cleanly", async () => {
    // The body arrives in two halves with SIGTERM between them: the request is truly in flight.
    const body = JSON.stringify({ email: "late@example.com", username: "late", password })
    const { status, exit } = await registerAcrossStop(server, body)
    expect(status).toBe(201)
    expect(await exit).toBe(0)
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
  }, 60_000)
})

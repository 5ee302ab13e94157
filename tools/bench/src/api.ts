import { randomBytes } from "node:crypto"

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text }
}

export interface Credentials {
  readonly username: string
  readonly password: string
}

/** Registers a fresh user; returns what it logs in with. */
export const register = async (baseUrl: string): Promise<Credentials> => {
  const suffix = randomBytes(4).toString("hex")
  const username = `bench_${suffix}`
  const password = `Bench-${randomBytes(12).toString("base64url")}-9a`
  const registered = await post(`${baseUrl}/api/v1/auth/register`, {
    email: `${username}@example.com`,
    username,
    password,
  })
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`)
  return { username, password }
}

/** Registers a fresh user, logs in with JSON, checks GET /auth/me once; returns the access token. */
export const signIn = async (baseUrl: string): Promise<string> => {
  const { username, password } = await register(baseUrl)
  const login = await post(`${baseUrl}/api/v1/auth/login`, { username, password })
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.text}`)
  const body: unknown = JSON.parse(login.text)
  const token =
    typeof body === "object" && body !== null && "access_token" in body && typeof body.access_token === "string"
      ? body.access_token
      : undefined
  if (token === undefined) throw new Error("login answered 200 without an access_token")
  const me = await fetch(`${baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  const meText = await me.text()
  if (me.status !== 200 || !meText.includes(username))
    throw new Error(`GET /api/v1/auth/me answered ${me.status} without the user: ${meText.slice(0, 300)}`)
  return token
}

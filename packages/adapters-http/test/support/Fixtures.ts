import { expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { send } from "./Http.js"

let counter = 0

/** A registration nobody else in the run uses. */
export const aRegistration = () => {
  counter += 1
  const tag = `${Date.now().toString(36)}${counter}`
  return { email: `user-${tag}@example.com`, username: `user_${tag}`, password: "correct horse battery" }
}

const Registered = Schema.Struct({ id: Schema.String })
const Token = Schema.Struct({ access_token: Schema.String })

export const register = (registration = aRegistration()) =>
  Effect.gen(function* () {
    const answer = yield* send("/api/v1/auth/register", { method: "POST", json: registration })
    expect(answer.status).toBe(201)
    return { ...registration, id: Schema.decodeUnknownSync(Registered)(answer.body).id }
  })

/** A registered user and a fresh access token for them. */
export const loggedIn = Effect.gen(function* () {
  const user = yield* register()
  const answer = yield* send("/api/v1/auth/login", {
    method: "POST",
    form: { username: user.username, password: user.password },
  })
  expect(answer.status).toBe(200)
  return { ...user, token: Schema.decodeUnknownSync(Token)(answer.body).access_token }
})

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

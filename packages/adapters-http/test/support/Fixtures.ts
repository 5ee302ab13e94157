import { expect } from "@effect/vitest"
import { Administration, NewSuperuser, UserId, UserRepository } from "@userkit/domain"
import { Effect, Option, Schema } from "effect"
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

export type TestRegistration = ReturnType<typeof aRegistration> & { readonly full_name?: string }

export const register = (registration: TestRegistration = aRegistration()) =>
  Effect.gen(function* () {
    const answer = yield* send("/api/v1/auth/register", { method: "POST", json: registration })
    expect(answer.status).toBe(201)
    return { ...registration, id: Schema.decodeUnknownSync(Registered)(answer.body).id }
  })

/** A fresh access token, through the login form. */
export const logIn = (username: string, password: string) =>
  Effect.gen(function* () {
    const answer = yield* send("/api/v1/auth/login", { method: "POST", form: { username, password } })
    expect(answer.status).toBe(200)
    return Schema.decodeUnknownSync(Token)(answer.body).access_token
  })

/** A registered user and a fresh access token for them. */
export const loggedIn = Effect.gen(function* () {
  const user = yield* register()
  return { ...user, token: yield* logIn(user.username, user.password) }
})

/** An active superuser (made as an operator would, through the domain) and a fresh token. */
export const loggedInSuperuser = Effect.gen(function* () {
  const registration = aRegistration()
  const user = yield* (yield* Administration).bootstrapSuperuser(Schema.decodeUnknownSync(NewSuperuser)(registration))
  return { ...registration, id: user.id, token: yield* logIn(registration.username, registration.password) }
})

/** The stored user, read past the API: what a refused request must have left unchanged. */
export const storedUser = (id: string) =>
  Effect.map(
    Effect.flatMap(UserRepository, (users) => users.findById(UserId.make(id))),
    Option.map((stored) => stored.user),
  )

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

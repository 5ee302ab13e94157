import { Administration, NewSuperuser, Registration, UserId, UserRepository } from "@userkit/domain"
import { Effect, Option, Redacted, Schema } from "effect"
import { client } from "./Client.js"

let counter = 0

/** A registration nobody else in the run uses. */
export const aRegistration = () => {
  counter += 1
  const tag = `${Date.now().toString(36)}${counter}`
  return { email: `user-${tag}@example.com`, username: `user_${tag}`, password: "correct horse battery" }
}

export type TestRegistration = ReturnType<typeof aRegistration> & { readonly full_name?: string }

/** A registration as the typed client takes it. */
export const registrationOf = Schema.decodeUnknownSync(Registration)

/** A registered user, through the typed client. */
export const register = (registration: TestRegistration = aRegistration()) =>
  Effect.gen(function* () {
    const user = yield* (yield* client()).auth.register({ payload: registrationOf(registration) })
    return { ...registration, id: user.id }
  })

/** A fresh access token, through the typed client. */
export const logIn = (username: string, password: string) =>
  Effect.gen(function* () {
    const session = yield* (yield* client()).auth.login({ payload: { username, password: Redacted.make(password) } })
    return Redacted.value(session.access_token)
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

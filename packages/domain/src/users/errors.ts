import { Schema } from "effect"

export class EmailAlreadyRegistered extends Schema.TaggedError<EmailAlreadyRegistered>()("EmailAlreadyRegistered", {}) {
  override get message() {
    return "this email is already registered"
  }
}

export class UsernameTaken extends Schema.TaggedError<UsernameTaken>()("UsernameTaken", {}) {
  override get message() {
    return "this username is already taken"
  }
}

export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {}) {
  override get message() {
    return "no such user"
  }
}

/** The change would leave no active superuser: someone must always be able to administer. */
export class LastActiveSuperuser extends Schema.TaggedError<LastActiveSuperuser>()("LastActiveSuperuser", {}) {
  override get message() {
    return "this would leave no active superuser"
  }
}

/** The caller may not do this (only a superuser may). */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {}) {
  override get message() {
    return "only a superuser may do this"
  }
}

/** A change that needs the account's password (a new email) came without it. */
export class CurrentPasswordRequired extends Schema.TaggedError<CurrentPasswordRequired>()(
  "CurrentPasswordRequired",
  {},
) {
  override get message() {
    return "changing the email needs current_password: the account's password"
  }
}

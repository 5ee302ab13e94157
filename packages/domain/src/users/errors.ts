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

import { Schema } from "effect"

/** A refresh token that is unknown, malformed, expired or whose session has ended. */
export class InvalidRefreshToken extends Schema.TaggedError<InvalidRefreshToken>()("InvalidRefreshToken", {}) {
  override get message() {
    return "the refresh token is unknown, expired or revoked: log in again"
  }
}

/**
 * A refresh token presented again after its grace window: someone else may hold a copy, so its
 * session (and every token of it) has just been ended.
 */
export class RefreshTokenReused extends Schema.TaggedError<RefreshTokenReused>()("RefreshTokenReused", {}) {
  override get message() {
    return "this refresh token was already used: its session has been ended, log in again"
  }
}

/** No live session of the caller (or of the account an administrator named) has this id. */
export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {}) {
  override get message() {
    return "no such session"
  }
}

import { Context, Duration, Schema } from "effect"

const PositiveDuration = Schema.DurationFromSelf.pipe(Schema.greaterThanDuration(0))

/** Where emailed links point, how long they work, and whether a login needs a verified address. */
export class RecoveryRules extends Schema.Class<RecoveryRules>("RecoveryRules")({
  /** The address users reach the service (or its front end) at; links are built on it. */
  publicUrl: Schema.URL,
  resetTokenLifetime: PositiveDuration,
  verificationTokenLifetime: PositiveDuration,
  /** REQUIRE_EMAIL_VERIFICATION: refuse logins until the account's address is verified. */
  requireVerifiedEmail: Schema.Boolean,
}) {}

/** Links to localhost, a reset link for an hour, a verification link for a day, logins with any address. */
export const DEFAULT_RECOVERY_RULES = new RecoveryRules({
  publicUrl: new URL("http://localhost:8000"),
  resetTokenLifetime: Duration.hours(1),
  verificationTokenLifetime: Duration.hours(24),
  requireVerifiedEmail: false,
})

/** The recovery rules in force: the defaults unless a layer provides others. */
export class CurrentRecoveryRules extends Context.Reference<CurrentRecoveryRules>()("userkit/RecoveryRules", {
  defaultValue: () => DEFAULT_RECOVERY_RULES,
}) {}

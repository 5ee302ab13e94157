import { Layer } from "effect"
import { Administration } from "./admin/Administration.js"
import { Accounts } from "./auth/Accounts.js"
import { Sessions } from "./sessions/Sessions.js"
import { Directory } from "./users/Directory.js"
import { OwnAccount } from "./users/OwnAccount.js"

/**
 * Every use case, given the ports (UserRepository, PasswordHasher, AccessTokens, SessionStore, RefreshTokens), the Limits and the PasswordPolicy: provide it the
 * adapters' layers and the whole domain runs. The one place the use cases are composed.
 */
export const layer = Layer.mergeAll(
  Accounts.Default,
  OwnAccount.Default,
  Directory.Default,
  Administration.Default,
  Sessions.Default,
).pipe(Layer.provideMerge(Sessions.Default))

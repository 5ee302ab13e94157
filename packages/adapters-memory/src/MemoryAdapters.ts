import { RefreshTokens, Transactions } from "@userkit/domain"
import { Layer } from "effect"
import * as FastPasswordHasher from "./FastPasswordHasher.js"
import * as MemoryAccessTokens from "./MemoryAccessTokens.js"
import * as MemoryAccountTokenStore from "./MemoryAccountTokenStore.js"
import * as MemoryAuditLog from "./MemoryAuditLog.js"
import * as MemoryMailer from "./MemoryMailer.js"
import * as MemoryRateLimiter from "./MemoryRateLimiter.js"
import * as MemorySessionStore from "./MemorySessionStore.js"
import * as MemoryUserRepository from "./MemoryUserRepository.js"

/**
 * Every port the domain needs, in memory: provide it to `UseCases.layer` (with `Limits`) and the
 * whole domain runs with no database and no real crypto, fresh on each build. Mail lands in the
 * `MemoryMailbox`.
 */
export const layer = Layer.mergeAll(
  MemoryAccountTokenStore.layer,
  FastPasswordHasher.layer(),
  MemoryAccessTokens.layer(),
  MemoryRateLimiter.layer,
  MemorySessionStore.layer,
  MemoryAuditLog.layer,
  MemoryMailer.layer,
  RefreshTokens.random,
  Transactions.sequential,
).pipe(Layer.provideMerge(MemoryUserRepository.layer))

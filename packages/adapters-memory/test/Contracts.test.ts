import { Transactions } from "@userkit/domain"
import {
  accessTokensContract,
  accountTokenStoreContract,
  auditLogContract,
  ownersFromStores,
  passwordHasherContract,
  rateLimiterContract,
  sessionOwnersContract,
  sessionStoreContract,
  signingKeyStoreContract,
  transactionsContract,
  userRepositoryContract,
} from "@userkit/domain/testing"
import { Effect, Layer } from "effect"
import {
  FastPasswordHasher,
  MemoryAccessTokens,
  MemoryAccountTokenStore,
  MemoryAuditLog,
  MemoryRateLimiter,
  MemorySessionStore,
  MemorySigningKeyStore,
  MemoryUserRepository,
} from "../src/index.js"

userRepositoryContract("memory", MemoryUserRepository.layer)
passwordHasherContract("fast test hasher", FastPasswordHasher.layer(), FastPasswordHasher.layer({ cost: 2 }))
// Opaque random tokens, all of one kind: there is no other kind to refuse.
accessTokensContract("memory", MemoryAccessTokens.layer(), MemoryAccessTokens.layer(), () => Effect.succeed([]))
rateLimiterContract("memory", MemoryRateLimiter.layer)
sessionStoreContract("memory", Layer.merge(MemorySessionStore.layer, MemoryUserRepository.layer))
sessionOwnersContract(
  "two lookups, on memory",
  ownersFromStores(
    Layer.mergeAll(MemorySessionStore.layer, MemoryUserRepository.layer, MemoryAuditLog.layer, Transactions.sequential),
  ),
)
signingKeyStoreContract("memory", MemorySigningKeyStore.layer)
auditLogContract("memory", MemoryAuditLog.layer)
accountTokenStoreContract("memory", MemoryAccountTokenStore.layer.pipe(Layer.provideMerge(MemoryUserRepository.layer)))
// Memory cannot undo a write: held to running the block as it is.
transactionsContract(
  "sequential, on memory",
  Layer.mergeAll(Transactions.sequential, MemoryAuditLog.layer, MemoryUserRepository.layer),
  { rollsBack: false },
)

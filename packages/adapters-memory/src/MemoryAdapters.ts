import { Layer } from "effect"
import { MemoryAccessTokens } from "./AccessTokens.js"
import { FastPasswordHasher } from "./PasswordHasher.js"
import { MemoryUserRepository } from "./UserRepository.js"

/**
 * Every port the domain needs, in memory: provide it to `UseCases.layer` and the whole domain
 * runs with no database and no real crypto, fresh on each build.
 */
export const MemoryAdapters = {
  layer: Layer.mergeAll(MemoryUserRepository.layer, FastPasswordHasher.layer, MemoryAccessTokens.layer()),
}

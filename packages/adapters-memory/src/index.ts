export * from "./AccessTokens.js"
export * from "./MemoryAdapters.js"
export * from "./PasswordHasher.js"
export * from "./UserRepository.js"

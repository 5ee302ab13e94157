export * as BcryptPasswordHasher from "./BcryptPasswordHasher.js"
export * as JwtAccessTokens from "./JwtAccessTokens.js"
export * as PwnedPasswords from "./PwnedPasswords.js"

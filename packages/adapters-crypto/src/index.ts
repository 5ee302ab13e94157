export * as BcryptPasswordHasher from "./BcryptPasswordHasher.js"
export * as JwtAccessTokens from "./JwtAccessTokens.js"

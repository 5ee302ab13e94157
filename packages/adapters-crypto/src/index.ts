export * from "./AccessTokens.js"
export * from "./PasswordHasher.js"

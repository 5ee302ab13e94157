export * from "./AccessTokensContract.js"
export * from "./fixtures.js"
export * from "./PasswordHasherContract.js"
export * from "./UserRepositoryContract.js"

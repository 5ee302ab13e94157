export * from "./PasswordHasher.js"
export * from "./UserRepository.js"

export * from "./errors.js"
export * from "./RateLimiter.js"
export * from "./Rules.js"

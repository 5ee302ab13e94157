export * as RedisClient from "./RedisClient.js"
export * as RedisRateLimiter from "./RedisRateLimiter.js"

export * as OutboxMailer from "./OutboxMailer.js"
export * as SmtpMailer from "./SmtpMailer.js"

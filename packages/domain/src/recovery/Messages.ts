import { Duration, Redacted } from "effect"
import type { MailMessage } from "../mail/Mailer.js"
import type { Email, User } from "../users/User.js"

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** `page` under the public URL, carrying the token: `https://example.com/reset-password?token=...`. */
export const linkTo = (publicUrl: URL, page: string, token: Redacted.Redacted<string>): string => {
  const base = publicUrl.href.endsWith("/") ? publicUrl.href : `${publicUrl.href}/`
  const url = new URL(page, base)
  url.searchParams.set("token", Redacted.value(token))
  return url.href
}

const lasting = (lifetime: Duration.Duration) => Duration.format(lifetime).replace(/ 0ms$/, "")

/** Plain text and the same as simple HTML: paragraphs, and the link as a link. */
const message = (to: Email, subject: string, paragraphs: ReadonlyArray<string>, link?: string): MailMessage => {
  const text = [...paragraphs, ...(link === undefined ? [] : [link])].join("\n\n")
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link === undefined ? [] : [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`]),
  ].join("\n")
  return { to, subject, text: `${text}\n`, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n` }
}

export const passwordResetMessage = (user: User, link: string, lifetime: Duration.Duration): MailMessage =>
  message(
    user.email,
    "Reset your password",
    [
      `Hello ${user.username},`,
      `Someone (we hope you) asked to reset the password of your account. Follow this link within ${lasting(lifetime)} to choose a new one; it works once. Your sessions on every device will end.`,
      "If you did not ask, ignore this message: your password stays as it is.",
    ],
    link,
  )

export const verificationMessage = (user: User, link: string, lifetime: Duration.Duration): MailMessage =>
  message(
    user.email,
    "Confirm your email address",
    [
      `Hello ${user.username},`,
      `Follow this link within ${lasting(lifetime)} to confirm that ${user.email} is yours; it works once.`,
      "If you did not open an account or change its address, ignore this message.",
    ],
    link,
  )

/** To the address an account just left: so its owner learns of a change they did not make. */
export const emailChangedMessage = (previous: Email, user: User): MailMessage =>
  message(previous, "Your email address was changed", [
    `Hello ${user.username},`,
    `The email address of your account was changed from ${previous} to ${user.email}.`,
    "If you did not make this change, reset your password and contact us at once.",
  ])

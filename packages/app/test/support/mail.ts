import { readdir, readFile } from "node:fs/promises"
import type { Socket } from "node:net"
import { join } from "node:path"
import { type ParsedMail, simpleParser } from "mailparser"
import { SMTPServer } from "smtp-server"

export interface Received {
  readonly rcptTo: ReadonlyArray<string>
  readonly mail: ParsedMail
}

/** A connection the server never greeted: when it opened and when the client gave up on it. */
export interface Stalled {
  readonly openedAt: number
  closedAt?: number
}

export interface TestSmtpServer {
  /** `smtp://user:password@127.0.0.1:port`, the credentials percent-encoded. */
  readonly url: string
  /** The messages accepted so far. */
  readonly received: () => ReadonlyArray<Received>
  /** The messages read to the end and then refused with a 550. */
  readonly refused: () => ReadonlyArray<Received>
  /** The users clients logged in as. */
  readonly logins: () => ReadonlyArray<string>
  /** The next `count` connections are accepted and never greeted, as a hung server does. */
  readonly stallNext: (count: number) => void
  readonly stalled: () => ReadonlyArray<Stalled>
  /** The first message, accepted or refused, to `address` with `subject`; waits up to `timeoutMs`. */
  readonly waitForMail: (address: string, subject: string, timeoutMs?: number) => Promise<Received>
  readonly close: () => Promise<void>
}

/** An SMTP error reply: smtp-server answers with `responseCode` and the error's message. */
const reply = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode })

/** Polls `probe` until it returns something, or fails after `timeoutMs` with `what`. */
export const eventually = async <A>(
  what: string,
  probe: () => A | undefined | Promise<A | undefined>,
  timeoutMs = 5000,
) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * A plain SMTP server (no STARTTLS) on 127.0.0.1 that requires the given login, keeps what it
 * receives, and refuses (550, after reading it) any message to a recipient `refuse` picks.
 */
export const startSmtpServer = async (options: {
  readonly user: string
  readonly password: string
  readonly refuse?: (recipient: string) => boolean
}): Promise<TestSmtpServer> => {
  const received: Array<Received> = []
  const refused: Array<Received> = []
  const logins: Array<string> = []
  const stalled: Array<Stalled> = []
  // Each open connection, and when it was accepted (smtp-server calls onConnect some 100 ms later).
  const sockets = new Map<Socket, number>()
  let toStall = 0
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    // No greeting until onConnect calls back: a stalled connection is one it never calls back.
    onConnect: (session, callback) => {
      if (toStall === 0) return callback()
      toStall--
      const [socket, openedAt] = [...sockets].find(([socket]) => socket.remotePort === session.remotePort) ?? []
      const connection: Stalled = { openedAt: openedAt ?? Date.now() }
      stalled.push(connection)
      socket?.once("close", () => {
        connection.closedAt = Date.now()
      })
    },
    onAuth: (auth, _session, callback) => {
      if (auth.username !== options.user || auth.password !== options.password)
        return callback(reply(535, "authentication failed"))
      logins.push(auth.username)
      callback(null, { user: auth.username })
    },
    onData: (stream, session, callback) => {
      simpleParser(stream).then(
        (mail) => {
          const message = { rcptTo: session.envelope.rcptTo.map((r) => r.address), mail }
          if (message.rcptTo.some((recipient) => options.refuse?.(recipient) ?? false)) {
            refused.push(message)
            return callback(reply(550, "mailbox unavailable"))
          }
          received.push(message)
          callback()
        },
        (error: Error) => callback(error),
      )
    },
  })
  const port = await new Promise<number>((resolve) => {
    const server = smtp.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve(typeof address === "object" && address !== null ? address.port : 0)
    })
    server.on("connection", (socket: Socket) => {
      sockets.set(socket, Date.now())
      socket.on("close", () => sockets.delete(socket))
    })
  })
  const credentials = `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}`
  return {
    url: `smtp://${credentials}@127.0.0.1:${port}`,
    received: () => [...received],
    refused: () => [...refused],
    logins: () => [...logins],
    stallNext: (count) => {
      toStall = count
    },
    stalled: () => [...stalled],
    waitForMail: (address, subject, timeoutMs) =>
      eventually(
        `a message to ${address} about "${subject}"`,
        () =>
          [...received, ...refused].find(
            (message) => message.rcptTo.includes(address) && message.mail.subject === subject,
          ),
        timeoutMs,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.keys()) socket.destroy()
        smtp.close(() => resolve())
      }),
  }
}

/** Whether `mail` is addressed (To) to `address`. */
export const addressedTo = (mail: ParsedMail, address: string) =>
  [mail.to ?? []].flat().some((to) => to.value.some((recipient) => recipient.address === address))

/** The first link in a message's text that starts with `prefix`. */
export const linkIn = (text: string | undefined, prefix: string): string | undefined =>
  text?.split(/\s+/).find((word) => word.startsWith(prefix))

/** The `token` parameter of a link. */
export const tokenOf = (link: string): string => new URL(link).searchParams.get("token") ?? ""

/** Every `.eml` file in `dir`, parsed, oldest first (the outbox names sort by time). */
export const outboxMessages = async (dir: string) => {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith(".eml")).sort()
  return Promise.all(
    names.map(async (name) => ({ file: join(dir, name), mail: await simpleParser(await readFile(join(dir, name))) })),
  )
}

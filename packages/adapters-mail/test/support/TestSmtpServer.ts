import { createServer, type Server, type Socket } from "node:net"
import { Effect } from "effect"
import { type ParsedMail, simpleParser } from "mailparser"
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server"

export interface Received {
  readonly rcptTo: ReadonlyArray<string>
  readonly mail: ParsedMail
  /** Whether the message came over TLS (STARTTLS or implicit). */
  readonly secure: boolean
}

export interface TestSmtpServer {
  readonly port: number
  /** `scheme://[user:password@]127.0.0.1:port`, with the credentials percent-encoded. */
  readonly url: (credentials?: { user: string; password: string }, scheme?: "smtp" | "smtps") => string
  /** The messages accepted so far, parsed. */
  readonly received: () => ReadonlyArray<Received>
  /** The credentials clients logged in with. */
  readonly logins: () => ReadonlyArray<{ readonly user: string | undefined; readonly password: string | undefined }>
}

/** An SMTP error reply: smtp-server answers with `responseCode` and the error's message. */
export const reply = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode })

const listening = (server: Server) => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

/** Closes the server and every connection it still holds, so a stalled client cannot keep it open. */
const closing = (server: { close: (callback: () => void) => unknown }, sockets: Set<Socket>) =>
  Effect.async<void>((resume) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resume(Effect.void))
  })

const tracked = (server: Server) => {
  const sockets = new Set<Socket>()
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  return sockets
}

/**
 * An SMTP server on 127.0.0.1 and a free port, closed with the scope. Plain (no STARTTLS) and
 * without required login unless `options` say otherwise; it keeps what it receives.
 */
export const smtpServer = (options: Partial<SMTPServerOptions> = {}) => {
  const received: Array<Received> = []
  const logins: Array<{ user: string | undefined; password: string | undefined }> = []
  const smtp = new SMTPServer({
    logger: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    onAuth: (auth, _session, callback) => {
      logins.push({ user: auth.username ?? undefined, password: auth.password ?? undefined })
      callback(null, { user: auth.username })
    },
    onData: (stream, session: SMTPServerSession, callback) => {
      simpleParser(stream).then(
        (mail) => {
          received.push({ rcptTo: session.envelope.rcptTo.map((r) => r.address), mail, secure: session.secure })
          callback()
        },
        (error: Error) => callback(error),
      )
    },
    ...options,
  })
  return Effect.acquireRelease(
    Effect.async<TestSmtpServer & { readonly sockets: Set<Socket> }>((resume) => {
      const server = smtp.listen(0, "127.0.0.1", () => {
        const port = listening(server)
        resume(
          Effect.succeed({
            port,
            url: (credentials, scheme = "smtp") =>
              credentials === undefined
                ? `${scheme}://127.0.0.1:${port}`
                : `${scheme}://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`,
            received: () => [...received],
            logins: () => [...logins],
            sockets,
          }),
        )
      })
      const sockets = tracked(server)
    }),
    ({ sockets }) => closing(smtp, sockets),
  )
}

/** A TCP server that accepts connections and never says a word, closed with the scope. */
export const silentServer = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly server: Server; readonly sockets: Set<Socket> }>((resume) => {
    const server = createServer(() => {})
    const sockets = tracked(server)
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({ url: `smtp://127.0.0.1:${listening(server)}`, server, sockets })),
    )
  }),
  ({ server, sockets }) => closing(server, sockets),
)

/** A port nothing listens on: bound once, then released. */
export const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = listening(server)
    server.close(() => resume(Effect.succeed(port)))
  })
})

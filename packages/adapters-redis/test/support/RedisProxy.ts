import { connect, createServer, type Socket } from "node:net"
import { Effect } from "effect"

export interface RedisProxy {
  /** redis://127.0.0.1:port of the proxy. */
  readonly url: string
  /** Forwards new connections to the target (the start). */
  readonly forward: () => void
  /** Stops passing anything on, on open connections and new ones alike, closing none: a Redis that hangs. */
  readonly stall: () => void
  /** Cuts every connection, then closes new ones at once: a Redis that is down. */
  readonly refuse: () => void
}

/** A TCP proxy to the Redis at `target` whose behaviour a test switches; closed with the scope. */
export const redisProxy = (target: string, mode: "forward" | "refuse" = "forward") =>
  Effect.acquireRelease(
    Effect.async<RedisProxy & { readonly close: () => void }>((resume) => {
      const { hostname, port } = new URL(target)
      const sockets = new Set<Socket>()
      const track = (socket: Socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
      }
      const cutAll = () => {
        for (const socket of sockets) socket.destroy()
      }
      let current: "forward" | "stall" | "refuse" = mode
      // The open connections' `unpipe`s, to stop forwarding without closing.
      const forwarding = new Set<() => void>()
      const server = createServer((client) => {
        track(client)
        if (current === "refuse") return client.destroy()
        if (current === "stall") return
        const upstream = connect({ host: hostname, port: Number(port || 6379) })
        track(upstream)
        upstream.on("close", () => client.destroy())
        client.on("close", () => upstream.destroy())
        client.pipe(upstream).pipe(client)
        forwarding.add(() => {
          client.unpipe(upstream)
          upstream.unpipe(client)
        })
      })
      const switchTo = (next: typeof current) => () => {
        current = next
        if (next === "stall") for (const unpipe of forwarding) unpipe()
        else cutAll()
        forwarding.clear()
      }
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const listening = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            url: `redis://127.0.0.1:${listening}`,
            forward: switchTo("forward"),
            stall: switchTo("stall"),
            refuse: switchTo("refuse"),
            close: () => {
              cutAll()
              server.close()
            },
          }),
        )
      })
    }),
    (proxy) => Effect.sync(proxy.close),
  )

/** A port on which nothing listens: one the system gave a server that is closed again. */
export const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

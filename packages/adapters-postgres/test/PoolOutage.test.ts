import { connect, createServer, type Socket } from "node:net"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { checkReadiness, Migrator, PostgresClient } from "../src/index.js"
import { hasTestDatabase, testDatabaseUrl } from "./support/TestDatabase.js"

interface StallingProxy {
  readonly url: string
  /** Cuts every open connection, then accepts new ones and never answers them: a server that went away. */
  readonly stall: () => void
  /** Cuts the silent connections and forwards new ones again. */
  readonly resume: () => void
}

/** A TCP proxy to the test server that can stop answering, closed with the scope. */
const stallingProxy = Effect.acquireRelease(
  Effect.async<StallingProxy & { readonly close: () => void }>((resume) => {
    const target = new URL(testDatabaseUrl)
    const sockets = new Set<Socket>()
    const track = (socket: Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const cutAll = () => {
      for (const socket of sockets) socket.destroy()
    }
    let silent = false
    const server = createServer((client) => {
      track(client)
      if (silent) return
      const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) })
      track(upstream)
      upstream.on("close", () => client.destroy())
      client.on("close", () => upstream.destroy())
      client.pipe(upstream).pipe(client)
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const url = new URL(testDatabaseUrl)
      url.host = `127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
      resume(
        Effect.succeed({
          url: url.toString(),
          stall: () => {
            silent = true
            cutAll()
          },
          resume: () => {
            silent = false
            cutAll()
          },
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

const failureTag = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.match(exit, {
    onSuccess: () => "succeeded",
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onNone: () => "died",
        onSome: (error) => (typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "?"),
      }),
  })

describe("the connection pool when the server stops answering", () => {
  it.scopedLive.runIf(hasTestDatabase)(
    "is not ready within a second, fails a query within its connect timeout, then recovers by itself",
    () =>
      Effect.gen(function* () {
        const proxy = yield* stallingProxy
        const context = yield* Layer.build(
          Layer.provideMerge(Migrator.layer, PostgresClient.layer({ url: proxy.url, maxConnections: 2 })),
        )
        // Whatever the test found, the silent connections are cut before the pool ends: it would wait for them.
        yield* Effect.addFinalizer(() => Effect.sync(proxy.resume))
        const sql = SqlClient.SqlClient.pipe(Effect.provide(context))
        const selectOne = Effect.flatMap(sql, (client) => client`SELECT 1 AS one`)
        expect(yield* selectOne).toEqual([{ one: 1 }])

        proxy.stall()
        yield* Effect.sleep("100 millis")
        const checked = Date.now()
        expect(yield* checkReadiness().pipe(Effect.provide(context))).toMatchObject({ ready: false, database: false })
        expect(Date.now() - checked).toBeLessThan(1500)

        // The default connect timeout, 3 seconds, instead of pg's wait without end.
        const started = Date.now()
        const stalled = yield* selectOne.pipe(Effect.timeout("6 seconds"), Effect.exit)
        expect(failureTag(stalled)).toBe("SqlError")
        expect(Date.now() - started).toBeLessThan(4000)

        proxy.resume()
        expect(yield* selectOne).toEqual([{ one: 1 }])
      }),
  )
})

import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { normalizeLogin, type StoredUser, UserRepository } from "@userkit/domain"
import { aQuery, aStoredUser } from "@userkit/domain/testing"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import { lockDataDirectory } from "../src/DataDirectoryLock.js"
import { EmbeddedEngine, Migrator, PoolStats } from "../src/index.js"
import { repositoryOn } from "./support/TestDatabase.js"

const temporaryDirectory = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "userkit-engine-test-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true })),
)

describe("EmbeddedEngine on a data directory", () => {
  it.live(
    "keeps users and migrations across a stop and a start, and is never open twice",
    () =>
      Effect.gen(function* () {
        const dataDir = Path.join(yield* temporaryDirectory, "nested", "data")
        const engine = repositoryOn(EmbeddedEngine.layer({ dataDir }))
        const stored = aStoredUser({ full_name: "Persisted Person" })
        yield* Effect.gen(function* () {
          yield* Effect.flatMap(UserRepository, (repo) => repo.insert(stored))
          const second = yield* Effect.flip(Effect.scoped(Layer.build(EmbeddedEngine.layer({ dataDir }))))
          expect(second.message).toContain(`is in use by process ${process.pid}`)
        }).pipe(Effect.provide(engine))

        // The first engine's finalizers have run: PGlite must have released the directory.
        const again = yield* Effect.gen(function* () {
          const repo = yield* UserRepository
          const migrator = yield* Migrator.Migrator
          return {
            found: yield* repo.findById(stored.user.id),
            status: yield* migrator.status,
            applied: yield* migrator.up,
          }
        }).pipe(Effect.provide(engine))
        expect(again.found).toEqual(Option.some(stored))
        expect(again.status.current).toBe(true)
        expect(again.applied).toEqual([])
      }).pipe(Effect.scoped),
    60_000,
  )
})

describe("the data directory lock", () => {
  it.live("takes over a lock left by a process that is gone, and releases it on close", () =>
    Effect.gen(function* () {
      const dataDir = yield* temporaryDirectory
      const lockFile = Path.join(dataDir, "userkit.lock")
      yield* Effect.promise(() => Fs.writeFile(lockFile, "999999999"))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockDataDirectory(dataDir)
          expect(yield* Effect.promise(() => Fs.readFile(lockFile, "utf8"))).toBe(String(process.pid))
        }),
      )
      expect(yield* Effect.promise(() => Fs.readdir(dataDir))).toEqual([])
    }).pipe(Effect.scoped),
  )
})

/**
 * What a user of the embedded store hit under load (issue 7): many requests' queries in flight
 * while others run transactions. PGlite is one PostgreSQL session; two connections to it take
 * turns message by message, so one's Bind could land between another's Parse and Execute. The
 * queries must be of several shapes (a Bind for another statement fails; one for the same
 * statement silently answers another caller), and a transaction must make them queue up (without
 * one, each query runs through before the next arrives, which is why a plain burst of identical
 * lookups never showed it). On a data directory, as the app runs it.
 */
const crossTalk = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const repo = yield* UserRepository
  const users = Array.from({ length: 4 }, () => aStoredUser())
  for (const stored of users) yield* repo.insert(stored)
  const byId = (stored: StoredUser) => repo.findById(stored.user.id)
  const lookups: ReadonlyArray<(stored: StoredUser) => Effect.Effect<Option.Option<StoredUser>>> = [
    byId,
    (stored) => repo.findByLogin(normalizeLogin(stored.user.email)),
    (stored) =>
      Effect.map(
        repo.search(aQuery({ search: Option.some(stored.user.username), searchIn: ["username"], limit: 2 })),
        (found) =>
          Option.map(Option.fromNullable(found.items[0]), (user) => ({ user, passwordHash: stored.passwordHash })),
      ),
  ]
  const reader = (fiber: number) =>
    Effect.forEach(
      Array.from({ length: 60 }, (_, i) => fiber + i),
      (n) => {
        const stored = users[n % users.length] ?? aStoredUser()
        const lookup = lookups[n % lookups.length] ?? byId
        return Effect.exit(lookup(stored)).pipe(
          Effect.map((exit) =>
            exit._tag === "Failure"
              ? "failed"
              : Option.getOrUndefined(exit.value)?.user.id === stored.user.id
                ? "right"
                : "wrong",
          ),
        )
      },
    )
  // Transactions all along: deletes of unknown ids take the superuser guard's transaction, and
  // an explicit one holds the connection across round trips.
  const held: Effect.Effect<unknown, unknown> = sql.withTransaction(
    Effect.andThen(sql`SELECT 1`, Effect.andThen(Effect.sleep("2 millis"), sql`SELECT 2`)),
  )
  const deleteUnknown: Effect.Effect<unknown, unknown> = Effect.suspend(() => repo.delete(aStoredUser().user.id))
  const writer = Effect.forEach(
    Array.from({ length: 40 }, (_, i) => i),
    (i) => Effect.exit(i % 4 === 0 ? held : deleteUnknown),
  )
  const [, ...answers] = yield* Effect.all([writer, ...Array.from({ length: 8 }, (_, fiber) => reader(fiber))], {
    concurrency: "unbounded",
  })
  const outcomes = answers.flat()
  return { wrong: outcomes.filter((o) => o === "wrong").length, failed: outcomes.filter((o) => o === "failed").length }
})

describe("EmbeddedEngine: one session, one connection", () => {
  it.live(
    "queries of many shapes from many fibers, interleaved with transactions, each get their own answer",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* temporaryDirectory
        const outcome = yield* crossTalk.pipe(Effect.provide(repositoryOn(EmbeddedEngine.layer({ dataDir }))))
        expect(outcome).toEqual({ wrong: 0, failed: 0 })
      }).pipe(Effect.scoped),
    60_000,
  )

  it.live("has a pool of exactly one connection", () =>
    Effect.gen(function* () {
      const stats = yield* PoolStats
      expect((yield* stats.read).max).toBe(1)
    }).pipe(Effect.provide(EmbeddedEngine.layer())),
  )
})

layer(repositoryOn(EmbeddedEngine.layer()), { excludeTestServices: true })("EmbeddedEngine transactions", (it) => {
  /** Inserts `stored` in a transaction, signals `inserted`, holds the transaction open, then ends it. */
  const holdInsert = (stored: StoredUser, inserted: Deferred.Deferred<void>, commit: boolean) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* UserRepository
      return yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* repo.insert(stored)
          // Inside the transaction, reads run on its connection and see its own write.
          const ownWrite = yield* repo.findById(stored.user.id)
          yield* Deferred.succeed(inserted, undefined)
          yield* Effect.sleep("200 millis")
          if (!commit) return yield* Effect.fail("rolled back on purpose" as const)
          return ownWrite
        }),
      )
    })

  it.effect(
    "a reader never sees a row whose transaction rolls back",
    () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser()
        const inserted = yield* Deferred.make<void>()
        const writer = yield* Effect.fork(Effect.either(holdInsert(stored, inserted, false)))
        yield* Deferred.await(inserted)
        expect(yield* repo.findById(stored.user.id)).toEqual(Option.none())
        expect((yield* Fiber.join(writer))._tag).toBe("Left")
        expect(yield* repo.findById(stored.user.id)).toEqual(Option.none())
      }),
    10_000,
  )

  it.effect(
    "a reader during a transaction waits for it, and sees the row once committed",
    () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser()
        const inserted = yield* Deferred.make<void>()
        const writer = yield* Effect.fork(holdInsert(stored, inserted, true))
        yield* Deferred.await(inserted)
        // The transaction holds the one connection: this read waits at the pool for its commit.
        expect(yield* repo.findById(stored.user.id)).toEqual(Option.some(stored))
        expect(yield* Fiber.join(writer)).toEqual(Option.some(stored))
      }),
    10_000,
  )
})

import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { type StoredUser, UserRepository } from "@userkit/domain"
import { aStoredUser } from "@userkit/domain/testing"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import { lockDataDirectory } from "../src/DataDirectoryLock.js"
import { EmbeddedEngine, Migrator } from "../src/index.js"
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
          const migrator = yield* Migrator
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

layer(repositoryOn(EmbeddedEngine.layer({ maxConnections: 4 })), { excludeTestServices: true })(
  "EmbeddedEngine through a pool of several connections",
  (it) => {
    /** Inserts `stored` in a transaction, signals `inserted`, holds the transaction open, then ends it. */
    const holdInsert = (stored: StoredUser, inserted: Deferred.Deferred<void>, commit: boolean) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const repo = yield* UserRepository
        return yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* repo.insert(stored)
            // Inside the transaction, reads run on its own connection and see its own write.
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
      "a reader during another connection's transaction completes, and sees the row once committed",
      () =>
        Effect.gen(function* () {
          const repo = yield* UserRepository
          const stored = aStoredUser()
          const inserted = yield* Deferred.make<void>()
          const writer = yield* Effect.fork(holdInsert(stored, inserted, true))
          yield* Deferred.await(inserted)
          // pglite-socket runs no other connection's statement inside an open transaction, so this
          // read waits for the commit instead of deadlocking (a server would answer at once).
          yield* repo.findById(stored.user.id)
          expect(yield* Fiber.join(writer)).toEqual(Option.some(stored))
          expect(yield* repo.findById(stored.user.id)).toEqual(Option.some(stored))
        }),
      10_000,
    )

    it.effect("concurrent queries on several connections each get their own answer", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const users = Array.from({ length: 10 }, () => aStoredUser())
        yield* Effect.forEach(users, (stored) => repo.insert(stored), { concurrency: "unbounded" })
        const lookups = Array.from({ length: 10 }, () => users).flat()
        // Upper-cased logins: each lookup also exercises the case-insensitive match.
        const found = yield* Effect.forEach(lookups, (stored) => repo.findByLogin(stored.user.email.toUpperCase()), {
          concurrency: "unbounded",
        })
        expect(found).toEqual(lookups.map(Option.some))
      }),
    )
  },
)

import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { UserRepository, type UserUpdate } from "@userkit/domain"
import { aQuery, aStoredUser } from "@userkit/domain/testing"
import { DateTime, Deferred, Effect, Fiber, Option } from "effect"
import { hasTestDatabase, postgresTestDatabase, repositoryOn, testDatabaseUrl } from "./support/TestDatabase.js"

const changes = (fields: Omit<UserUpdate, "updatedAt">): UserUpdate => ({
  ...fields,
  updatedAt: DateTime.unsafeMake(new Date()),
})

// On PGlite every transaction runs alone anyway; on a server, who waits for whom is the point.
describe.runIf(hasTestDatabase)("the last-active-superuser guard on a PostgreSQL server", () => {
  it.live("locks only for writes that could end a superuser's standing", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* UserRepository
      const [root, other, plain] = [
        aStoredUser({ is_superuser: true }),
        aStoredUser({ is_superuser: true }),
        aStoredUser(),
      ]
      for (const stored of [root, other, plain]) yield* repo.insert(stored)

      // Another superuser change under way: its transaction holds every active superuser's row.
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`SELECT id FROM users WHERE is_superuser AND is_active ORDER BY id FOR UPDATE`
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(release)
          }),
        ),
      )
      yield* Deferred.await(locked)

      // A plain user's changes, even its deactivation and deletion, do not wait for it...
      yield* repo
        .update(plain.user.id, changes({ full_name: "Renamed", is_active: false }))
        .pipe(Effect.timeout("2 seconds"))
      yield* repo.delete(plain.user.id).pipe(Effect.timeout("2 seconds"))
      // ...a demotion does, and then decides on what the other change left.
      const demotion = yield* Effect.fork(repo.update(other.user.id, changes({ is_superuser: false })))
      yield* Effect.sleep("300 millis")
      expect(yield* Fiber.poll(demotion)).toEqual(Option.none())
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(demotion)

      const superusers = yield* repo.search(aQuery({ isActive: Option.some(true), isSuperuser: Option.some(true) }))
      expect(superusers.items.map((u) => u.id)).toEqual([root.user.id])
    }).pipe(Effect.provide(repositoryOn(postgresTestDatabase(testDatabaseUrl)))),
  )
})

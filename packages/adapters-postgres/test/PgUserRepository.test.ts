import { describe, expect, it } from "@effect/vitest"
import { UserRepository } from "@userkit/domain"
import { aStoredUser, userRepositoryContract } from "@userkit/domain/testing"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { PgUserRepository } from "../src/index.js"
import { userSearchSuite } from "./suites/UserSearchSuite.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** Every string a logger could print from `value`: own properties, causes and all. */
const everyStringIn = (value: unknown, seen = new Set<unknown>()): string => {
  if (typeof value === "string") return value
  if (typeof value !== "object" || value === null || seen.has(value)) return ""
  seen.add(value)
  return Object.getOwnPropertyNames(value)
    .map((key) => everyStringIn(Reflect.get(value, key), seen))
    .join("\n")
}

/** The repository under test on a migrated, empty `database`. */
const repositoryOn = (database: MigratedTestDatabase) => PgUserRepository.layer.pipe(Layer.provideMerge(database))

const embedded = repositoryOn(migratedEmbeddedDatabase())

userRepositoryContract("embedded engine (PGlite)", embedded)
userSearchSuite("embedded engine (PGlite)", embedded)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  const server = repositoryOn(migratedPostgresDatabase(testDatabaseUrl))
  userRepositoryContract("PostgreSQL", server)
  userSearchSuite("PostgreSQL", server)
})

describe("PgUserRepository", () => {
  it.live("a row the database refuses for another reason is a defect that quotes none of the row", () =>
    Effect.gen(function* () {
      const repo = yield* UserRepository
      const stored = aStoredUser({ passwordHash: "" })
      const exit = yield* Effect.exit(repo.insert(stored))
      if (Exit.isSuccess(exit)) return expect.fail("the insert succeeded")
      expect(Cause.isDie(exit.cause)).toBe(true)
      const defect = everyStringIn(Cause.squash(exit.cause))
      expect(defect).toContain("users_password_hash_check")
      expect(defect).not.toContain(stored.user.email)
    }).pipe(Effect.provide(embedded)),
  )

  it.live("a login with a NUL, which no account can hold, finds nobody instead of failing", () =>
    Effect.gen(function* () {
      const repo = yield* UserRepository
      const stored = aStoredUser()
      yield* repo.insert(stored)
      expect(yield* repo.findByLogin(`${stored.user.username}\u0000`)).toEqual(Option.none())
    }).pipe(Effect.provide(embedded)),
  )
})

import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { userkit } from "./cliProcess.js"
import { freshDatabase, testDatabaseUrl } from "./databases.js"
import { type ServerProcess, startServer } from "./serverProcess.js"

export interface DurableStore {
  readonly name: "PostgreSQL" | "the embedded engine"
  /** DATA_DIR, and DATABASE_URL on PostgreSQL. */
  readonly env: Record<string, string>
  readonly cleanup: () => Promise<void>
}

/** A fresh PostgreSQL database when TEST_DATABASE_URL is set, else the embedded engine in a new directory. */
export const durableStore = async (): Promise<DurableStore> => {
  const dir = await mkdtemp(join(tmpdir(), "userkit-recovery-"))
  const removeDir = () => rm(dir, { recursive: true, force: true })
  if (testDatabaseUrl === undefined) return { name: "the embedded engine", env: { DATA_DIR: dir }, cleanup: removeDir }
  const db = await freshDatabase(testDatabaseUrl)
  return {
    name: "PostgreSQL",
    env: { DATA_DIR: dir, DATABASE_URL: db.url },
    cleanup: async () => {
      await db.drop()
      await removeDir()
    },
  }
}

export interface Superuser {
  readonly email: string
  readonly username: string
  readonly password: string
}

/**
 * The server on `store`, with a superuser made by `userkit create-superuser`. On PostgreSQL both
 * start at once (migrations take an advisory lock); the embedded engine is one process's at a time.
 */
export const startWithSuperuser = async (
  store: DurableStore,
  env: Record<string, string>,
  superuser: Superuser,
): Promise<ServerProcess> => {
  const create = async () => {
    const created = await userkit(["create-superuser", "--email", superuser.email, "--username", superuser.username], {
      ...store.env,
      USERKIT_SUPERUSER_PASSWORD: superuser.password,
    })
    if (created.code !== 0) throw new Error(`create-superuser failed:\n${created.stdout}${created.stderr}`)
  }
  const start = () => startServer({ ...store.env, ...env })
  if (store.name === "PostgreSQL") {
    const [server, created] = await Promise.allSettled([start(), create()])
    if (created.status === "rejected") {
      if (server.status === "fulfilled") await server.value.stop("SIGKILL")
      throw created.reason
    }
    if (server.status === "rejected") throw server.reason
    return server.value
  }
  await create()
  return start()
}

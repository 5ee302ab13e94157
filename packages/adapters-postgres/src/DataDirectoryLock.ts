import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Effect, Schema, type Scope } from "effect"

// PGlite opens a data directory that another PGlite already has open without a word, and the two
// then diverge and corrupt it (say, `userkit migrate` run beside a running server). So the
// engine holds this lock file, naming its process, for as long as the directory is open.
const LOCK_FILE = "userkit.lock"

const hasCode = (error: unknown, code: string): boolean =>
  error instanceof Error && "code" in error && error.code === code

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return hasCode(error, "EPERM")
  }
}

const create = (file: string) => Fs.writeFile(file, String(process.pid), { flag: "wx" })

const acquire = async (dataDir: string): Promise<string> => {
  await Fs.mkdir(dataDir, { recursive: true })
  const file = Path.join(dataDir, LOCK_FILE)
  try {
    await create(file)
  } catch (error) {
    if (!hasCode(error, "EEXIST")) throw error
    const holder = Number.parseInt(await Fs.readFile(file, "utf8"), 10)
    if (Number.isInteger(holder) && isAlive(holder)) {
      throw new Error(`${dataDir} is in use by process ${holder} (if that is not userkit, delete ${file})`)
    }
    // Left by a process that is gone. If another process takes it first, `wx` fails here.
    await Fs.rm(file, { force: true })
    await create(file)
  }
  return file
}

/** The embedded engine's data directory cannot be had: in use by another process, or not writable. */
export class DataDirectoryUnavailable extends Schema.TaggedError<DataDirectoryUnavailable>()(
  "DataDirectoryUnavailable",
  { reason: Schema.String },
) {
  override get message() {
    return `EmbeddedEngine: cannot take the data directory: ${this.reason}`
  }
}

/** Holds `dataDir` (created if missing) for this process until the scope closes. */
export const lockDataDirectory = (dataDir: string): Effect.Effect<void, DataDirectoryUnavailable, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => acquire(dataDir),
      catch: (cause) =>
        new DataDirectoryUnavailable({ reason: cause instanceof Error ? cause.message : String(cause) }),
    }),
    (file) => Effect.promise(() => Fs.rm(file, { force: true })),
  )

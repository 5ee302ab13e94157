import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"

/** A new empty directory, removed with the test's scope. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "userkit-test-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true })),
)

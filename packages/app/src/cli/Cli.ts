import { Command } from "@effect/cli"
import { Effect } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { CliFailure, ExitCode } from "./CliFailure.js"
import { createSuperuser } from "./CreateSuperuser.js"
import { migrate } from "./Migrate.js"

const userkit = Command.make("userkit", {}, () =>
  Effect.fail(
    new CliFailure({ reason: "missing command: userkit migrate|create-superuser (see --help)", code: ExitCode.usage }),
  ),
).pipe(
  Command.withDescription(
    "Operate a userkit deployment, configured by the same environment variables as the server (DATABASE_URL, DATA_DIR, USERKIT_STORE, ...).",
  ),
  Command.withSubcommands([migrate, createSuperuser]),
)

/** Runs `userkit` on `process.argv`: the first two entries (node and the script) are skipped. */
export const runCli = Command.run(userkit, { name: "userkit", version: packageJson.version, executable: "userkit" })

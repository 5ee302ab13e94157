import { optionsUsage, UsageError } from "./args.js"
import { benchDirectory } from "./directory.js"
import { benchLogin } from "./login.js"
import { benchMe } from "./me.js"
import { benchRefresh } from "./refresh.js"

/** A bench: takes the arguments after its name and a signal that fires on Ctrl-C; throws on failure. */
type Bench = (args: ReadonlyArray<string>, signal: AbortSignal) => Promise<void>

const benches: Record<string, { readonly run: Bench; readonly what: string }> = {
  me: { run: benchMe, what: "GET /api/v1/auth/me with a bearer token, against one server on a fresh PostgreSQL db" },
  login: {
    run: benchLogin,
    what: "a storm of POST /api/v1/auth/login at bcrypt cost 12 against bcrypt's own ceiling, probing GET /health",
  },
  refresh: {
    run: benchRefresh,
    what: "sessions refreshing their tokens in chains (POST /api/v1/auth/refresh), then GET /api/v1/auth/me",
  },
  directory: {
    run: benchDirectory,
    what: "GET /api/v1/users (search, deep page by offset and by cursor) over 1M users seeded in a fresh db",
  },
}

const usage = () =>
  [
    "usage: pnpm bench <name> [options]",
    "",
    "benches:",
    ...Object.entries(benches).map(([name, bench]) => `  ${name.padEnd(16)}  ${bench.what}`),
    "",
    optionsUsage,
    "",
    "env: BENCH_DATABASE_URL  admin URL of the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)",
  ].join("\n")

const [name, ...rest] = process.argv.slice(2)
const bench = name === undefined ? undefined : benches[name]

if (bench === undefined) {
  if (name !== undefined && name !== "--help" && name !== "-h") process.stderr.write(`unknown bench "${name}"\n\n`)
  process.stderr.write(`${usage()}\n`)
  process.exit(name === undefined || name === "--help" || name === "-h" ? 0 : 2)
}

// Ctrl-C aborts the run, so that the server is stopped and the database dropped; a second one quits.
const controller = new AbortController()
const interrupt = () => {
  if (controller.signal.aborted) process.exit(130)
  process.stderr.write("\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n")
  controller.abort(new Error("interrupted"))
}
process.on("SIGINT", interrupt)
process.on("SIGTERM", interrupt)

try {
  await bench.run(rest, controller.signal)
  process.exit(0)
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${usage()}\n`)
    process.exit(2)
  }
  process.stderr.write(`\nbench ${name} FAILED: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

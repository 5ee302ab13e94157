import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { ConfigProvider, Console, Effect } from "effect"
import { cli, exitCodeOf } from "../../src/cli/Cli.js"
import type { CliRun } from "./cliProcess.js"

const collector = () => {
  let text = ""
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return { stream, text: () => text }
}

/** Effect's Console on a Node console, as Effect's default one is on the global console. */
const effectConsole = (node: globalThis.Console): Console.Console => ({
  [Console.TypeId]: Console.TypeId,
  assert: (condition, ...args) => Effect.sync(() => node.assert(condition, ...args)),
  clear: Effect.sync(() => node.clear()),
  count: (label) => Effect.sync(() => node.count(label)),
  countReset: (label) => Effect.sync(() => node.countReset(label)),
  debug: (...args) => Effect.sync(() => node.debug(...args)),
  dir: (item, options) => Effect.sync(() => node.dir(item, options)),
  dirxml: (...args) => Effect.sync(() => node.dirxml(...args)),
  error: (...args) => Effect.sync(() => node.error(...args)),
  group: (options) =>
    Effect.sync(() => (options?.collapsed ? node.groupCollapsed(options.label) : node.group(options?.label))),
  groupEnd: Effect.sync(() => node.groupEnd()),
  info: (...args) => Effect.sync(() => node.info(...args)),
  log: (...args) => Effect.sync(() => node.log(...args)),
  table: (data, properties) => Effect.sync(() => node.table(data, properties)),
  time: (label) => Effect.sync(() => node.time(label)),
  timeEnd: (label) => Effect.sync(() => node.timeEnd(label)),
  timeLog: (label, ...args) => Effect.sync(() => node.timeLog(label, ...args)),
  trace: (...args) => Effect.sync(() => node.trace(...args)),
  warn: (...args) => Effect.sync(() => node.warn(...args)),
  unsafe: node,
})

const run = async (args: ReadonlyArray<string>, env: Record<string, string>): Promise<CliRun> => {
  const stdout = collector()
  const stderr = collector()
  const captured = new NodeConsole({ stdout: stdout.stream, stderr: stderr.stream })
  const original = globalThis.console
  // Effect's Console for what the command prints and logs; the global one for anything that bypasses it.
  globalThis.console = captured
  try {
    const exit = await Effect.runPromiseExit(
      cli(["node", "userkit", ...args]).pipe(
        Console.withConsole(effectConsole(captured)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ BCRYPT_COST: "4", ...env })))),
        Effect.provide(NodeContext.layer),
      ),
    )
    return { code: exitCodeOf(exit), stdout: stdout.text(), stderr: stderr.text() }
  } finally {
    globalThis.console = original
  }
}

let previous: Promise<unknown> = Promise.resolve()

/**
 * Runs `userkit` as src/cli/main.ts does (the same `cli` and exit code), in this process: `env` is
 * its whole configuration (BCRYPT_COST 4 unless given) and what it prints, through Effect's Console
 * or the global one, is captured. One at a time, so that each captures only its own output. There
 * is no standard input here: a create-superuser takes its password from USERKIT_SUPERUSER_PASSWORD
 * (to pipe one, use cliProcess's `userkit`).
 */
export const userkitInProcess = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<CliRun> => {
  if (args[0] === "create-superuser" && env.USERKIT_SUPERUSER_PASSWORD === undefined && !args.includes("--help"))
    return Promise.reject(new Error("in process, create-superuser takes its password from USERKIT_SUPERUSER_PASSWORD"))
  const next = previous.then(() => run(args, env))
  previous = next.catch(() => undefined)
  return next
}

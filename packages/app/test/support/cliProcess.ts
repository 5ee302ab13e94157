import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const appDir = fileURLToPath(new URL("../..", import.meta.url))

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `userkit` (src/cli/main.ts, as `pnpm userkit` does) with only the given environment and
 * `input` piped to its standard input, which is therefore not a terminal.
 */
export const userkit = (args: ReadonlyArray<string>, env: Record<string, string>, input = ""): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", BCRYPT_COST: "4", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

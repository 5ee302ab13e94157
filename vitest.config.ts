import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: keep the files that start databases and servers from starving each other.
    maxWorkers: 2,
    minWorkers: 1,
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      // The contract suites are test code. The two process entries (the server's and the CLI's main.ts)
      // run only as child processes of the e2e and CLI tests, where this process's v8 coverage cannot see them.
      exclude: ["packages/domain/src/testing/**", "packages/app/src/main.ts", "packages/app/src/cli/main.ts"],
      reporter: ["text", "text-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 90 },
    },
  },
})

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
      // The contract suites are test code; main.ts runs only as the server process of the e2e tests,
      // where v8 coverage of this process cannot see it.
      exclude: ["packages/domain/src/testing/**", "packages/app/src/main.ts"],
      reporter: ["text", "text-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 90 },
    },
  },
})

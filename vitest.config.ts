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
      exclude: ["packages/domain/src/testing/**", "packages/*/src/**/bench/**"],
      reporter: ["text", "text-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 90 },
    },
  },
})

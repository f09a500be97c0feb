import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The examples import the package by its name (`kafkajs-dr`): the tests run them against the
// sources, not dist/ (tsconfig.json's `paths` does the same for the type check). Given to each
// project, since inline projects do not inherit the root's options.
const resolve = { alias: { 'kafkajs-dr': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } }

// Two projects: fast unit tests of pure logic, and integration tests that run against the real
// two-datacenter bed (started once per run by the global setup, shared by every integration file).
export default defineConfig({
  test: {
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/bed/global-setup.ts'],
          // One bed, real faults: files must not run side by side and break each other's clusters.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})

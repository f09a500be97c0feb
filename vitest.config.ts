import { defineConfig } from 'vitest/config'

// Two projects: fast unit tests of pure logic, and integration tests that run against the real
// two-datacenter bed (started once per run by the global setup, shared by every integration file).
export default defineConfig({
  test: {
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
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

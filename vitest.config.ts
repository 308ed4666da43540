// Two test projects: fast unit tests (no Docker) and sandbox tests against real containers.
import os from 'node:os'
import path from 'node:path'
import { defineConfig } from 'vitest/config'

// Pebble roots that tests' sandboxes record (sandbox/lab-roots.ts) go to a folder of this run, never the user's own.
process.env.SMTP_TLS_LAB_ROOTS_DIR ??= path.join(os.tmpdir(), `stl-test-roots-${process.pid}`)

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{bin,core,checker,sandbox,exercises,labs,slides,grading,bench}/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.sandbox.test.ts', '**/*.browser.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'sandbox',
          include: ['{bin,core,checker,sandbox,exercises,labs,slides,grading}/**/*.sandbox.test.ts', '{labs,slides}/**/*.browser.test.ts'],
          exclude: ['**/node_modules/**'],
          // Real containers are slow to start and the machine has 2 cores: run files one at a time.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
          globalSetup: ['sandbox/test-global-setup.ts'],
        },
      },
    ],
  },
})

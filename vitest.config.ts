import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers on loopback; keep them isolated per file.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    // What the code under test logs is shown for failing tests only: a passing run stays readable.
    silent: 'passed-only',
  },
});

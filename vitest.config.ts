import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // two cores: keep parallel test files to two so timing-sensitive CLI tests are not starved
    maxWorkers: 2,
  },
});

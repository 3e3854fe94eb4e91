import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['sim/**/*.test.ts', 'server/**/*.test.ts', 'client-sdk/**/*.test.ts', 'guests/**/*.test.ts', 'recordings/**/*.test.ts', 'examples/**/*.test.ts', 'fuzz/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

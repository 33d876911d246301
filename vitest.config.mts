import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/test/**/*.test.ts"],
    // Integration suites start real servers (PostgreSQL, Prometheus, an S3 server); give them room, never forever.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Suites that own a server port run one file at a time per worker; two cores, two workers.
    maxWorkers: 2,
  },
});

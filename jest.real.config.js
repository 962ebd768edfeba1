/**
 * The real-process layer: tests that start PostgreSQL, Kafka, an S3 API, the MLflow server and
 * the serving runtimes on loopback at free ports, in temp folders, and stop them afterwards.
 * Two files run at a time: most of a file's time is spent waiting for servers to start and
 * answer, not computing, so two workers on two cores finish the layer sooner than one. Ports are
 * reserved across workers (test/real/support/ports.ts) and caches are built once under a lock
 * (test/real/support/buildOnce.ts).
 */
const base = require("./jest.config.js");

module.exports = {
  ...base,
  roots: ["<rootDir>/test/real"],
  testPathIgnorePatterns: ["/node_modules/"],
  setupFilesAfterEnv: ["<rootDir>/test/real/support/realTimeout.js"],
  maxWorkers: 2,
};

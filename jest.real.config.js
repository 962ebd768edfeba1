/**
 * The real-process layer: tests that start PostgreSQL, Kafka, an S3 API, the MLflow server and
 * the serving runtimes on loopback at free ports, in temp folders, and stop them afterwards.
 * Run one file at a time (`--runInBand` in `npm run test:real`): each starts JVMs and servers,
 * and the machine has two cores.
 */
const base = require("./jest.config.js");

module.exports = {
  ...base,
  roots: ["<rootDir>/test/real"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 15 * 60_000,
};

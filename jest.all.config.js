/**
 * `npm test`'s one jest run: the unit suite (jest.config.js) and the real-process layer
 * (jest.real.config.js) as two projects in one worker pool. A real-process file spends most of
 * its time waiting on servers it started (PostgreSQL, Kafka, MLflow) to come up and answer, not
 * computing, so unit files run in those gaps instead of after the whole layer. Each project keeps
 * its own roots, transform, timeouts and setup; `npm run jest` and `npm run test:real` still run
 * one of them alone.
 */
const unit = require("./jest.config.js");
const real = require("./jest.real.config.js");

/** maxWorkers is a setting of the run, not of a project. */
function project(config, displayName) {
  const { maxWorkers: _maxWorkers, ...rest } = config;
  return { ...rest, displayName };
}

module.exports = {
  projects: [project(unit, "unit"), project(real, "real")],
  // Two cores: two workers keep them busy with unit files; the third runs a real-process file's
  // waits alongside them.
  maxWorkers: 3,
};

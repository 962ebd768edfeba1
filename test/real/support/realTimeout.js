// A real-process test's time limit: servers start, builds may run on a cold machine. Set here, per
// project, because a run of several projects (jest.all.config.js) applies only the run's own
// testTimeout, not each project's.
jest.setTimeout(15 * 60_000);

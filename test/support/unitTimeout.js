// A unit test's time limit. Set here, per project, because a run of several projects
// (jest.all.config.js) applies only the run's own testTimeout, not each project's.
jest.setTimeout(60_000);

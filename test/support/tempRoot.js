/**
 * One temp folder per jest run. Global setup creates it and points TMPDIR at it, so every
 * `os.tmpdir()` in the tests, and every child process they start (Python's tempfile, initdb,
 * the JVMs, the CLI), writes under it; global teardown removes it. A test that forgets to clean
 * up no longer leaves folders in the machine's /tmp run after run, and teardown names how much
 * it found so the leak stays visible.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");

const KEY = "MLSTACK_TEST_TMP_ROOT";

async function setup() {
  // One folder per run, also when several projects of one run (jest.all.config.js) each name this setup.
  if (process.env[KEY] && fs.existsSync(process.env[KEY])) return;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-jest-"));
  // mkdtemp makes 0700 folders; the real-process tests run servers and pods as other UIDs
  // (postgres, the images' non-root users), which must reach their folders under it, as in /tmp.
  fs.chmodSync(root, 0o755);
  process.env[KEY] = root;
  process.env.TMPDIR = root;
}

async function teardown() {
  const root = process.env[KEY];
  if (!root || !fs.existsSync(root)) return;
  const left = fs.readdirSync(root);
  if (left.length > 0 && process.env.MLSTACK_TEST_TMP_REPORT)
    process.stderr.write(`\ntests left ${left.length} entries in their temp folder: ${left.join(", ")}\n`);
  fs.rmSync(root, { recursive: true, force: true });
  releasePorts(root);
}

/**
 * The run's port reservations (test/real/support/ports.ts keeps them machine-wide, beside the runs'
 * folders), removed so they do not pile up; any left by a killed run go stale with its folder.
 */
function releasePorts(root) {
  const dir = path.join(path.dirname(root), "mlstack-test-ports");
  let entries;
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry);
    try {
      if (fs.readFileSync(file, "utf8") === root) fs.rmSync(file, { force: true });
    } catch {
      /* taken over or removed meanwhile */
    }
  }
}

module.exports = { setup, teardown };

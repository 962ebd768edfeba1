/**
 * The cache builds behind the real-process layer (Python environments, kube-apiserver) run once,
 * and a failed build leaves nothing that a later run would take for a finished one.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildOnce } from "./support/buildOnce";

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-build-once-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

it("builds a folder once and reuses it after that", () => {
  const dir = path.join(root, "env");
  let builds = 0;
  const build = () => {
    builds += 1;
    fs.mkdirSync(dir, { recursive: true });
  };
  buildOnce(dir, 5_000, build);
  buildOnce(dir, 5_000, build);
  expect(builds).toBe(1);
  expect(fs.existsSync(path.join(dir, ".complete"))).toBe(true);
  expect(fs.existsSync(`${dir}.lock`)).toBe(false);
});

it("leaves no marker and no lock when the build fails, so the next run builds again", () => {
  const dir = path.join(root, "env");
  expect(() =>
    buildOnce(dir, 5_000, () => {
      fs.mkdirSync(dir, { recursive: true });
      throw new Error("pip install failed");
    }),
  ).toThrow("pip install failed");
  expect(fs.existsSync(path.join(dir, ".complete"))).toBe(false);
  expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  let rebuilt = false;
  buildOnce(dir, 5_000, () => {
    rebuilt = true;
  });
  expect(rebuilt).toBe(true);
});

it("takes over a lock left by a killed run once it is older than the timeout", () => {
  const dir = path.join(root, "env");
  fs.mkdirSync(`${dir}.lock`);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(`${dir}.lock`, old, old);
  let built = false;
  buildOnce(dir, 2_000, () => {
    built = true;
  });
  expect(built).toBe(true);
});

it("gives up waiting on a live lock with a message naming it", () => {
  const dir = path.join(root, "env");
  fs.mkdirSync(`${dir}.lock`);
  expect(() => buildOnce(dir, 1_500, () => undefined)).toThrow(`timed out waiting for ${dir}.lock`);
});

it("takes over at once a lock whose owner process is gone (a stopped CI prebuild, a killed run)", () => {
  const dir = path.join(root, "env");
  // A real pid that has ended: a child that exited before the lock is read.
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  fs.mkdirSync(`${dir}.lock`);
  fs.writeFileSync(path.join(`${dir}.lock`, "owner"), gone.stdout);
  let built = false;
  // The timeout is far away: only the dead owner can explain the takeover.
  buildOnce(dir, 60_000, () => {
    built = true;
  });
  expect(built).toBe(true);
  expect(fs.existsSync(`${dir}.lock`)).toBe(false);
});

it("keeps waiting on a lock whose owner is alive", () => {
  const dir = path.join(root, "env");
  fs.mkdirSync(`${dir}.lock`);
  fs.writeFileSync(path.join(`${dir}.lock`, "owner"), String(process.pid));
  expect(() => buildOnce(dir, 1_500, () => undefined)).toThrow(`timed out waiting for ${dir}.lock`);
});

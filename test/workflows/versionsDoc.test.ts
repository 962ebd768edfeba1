/**
 * docs/versions.md is exactly what the generator writes from the version table, so a pin moved in
 * components/versions/pins.ts without `npm run docs:versions` fails here.
 */
import * as fs from "fs";
import * as path from "path";
import { renderVersionTable } from "../../cli/docs/versionTable";
import { PINS, STRIMZI_RELEASES } from "../../components/versions/pins";

const ROOT = path.resolve(__dirname, "../..");

describe("docs/versions.md", () => {
  it("is up to date with the version table (regenerate with npm run docs:versions)", () => {
    const committed = fs.readFileSync(path.join(ROOT, "docs/versions.md"), "utf8");
    expect(committed === renderVersionTable()).toBe(true);
  });

  it("prints every pin with the file and ref it was read from", () => {
    const doc = renderVersionTable();
    for (const [name, pin] of Object.entries(PINS)) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\`:`));
      expect([name, row]).toEqual([
        name,
        expect.stringContaining(`\`${pin.source.file}\` @ \`${pin.source.ref}\``),
      ]);
    }
  });

  it("prints the Kafka versions each Strimzi release runs", () => {
    const doc = renderVersionTable();
    for (const release of STRIMZI_RELEASES) {
      expect(doc).toContain(`| \`${release.version}\` | ${release.kafkaVersions.join(", ")} |`);
    }
  });
});

describe("the version table", () => {
  it("records an upstream file and ref for every pin", () => {
    for (const pin of Object.values(PINS)) {
      expect(pin.source.repository.length * pin.source.file.length * pin.source.ref.length).toBeGreaterThan(
        0,
      );
    }
  });
});

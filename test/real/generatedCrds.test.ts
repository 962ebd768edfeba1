/**
 * The typed custom resources under components/crds/ are exactly what `npm run generate:crds` makes
 * from the CRDs of the pinned operator versions: each source's CRD file is fetched (or read from
 * .cache/kube/crds/), hashed and converted again, and compared with the files in the repository.
 * The offline half (the recorded versions match the pins) is test/tools/crdGenerator.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { existingGeneratedFiles, readCrdFile, renderSource } from "../../tools/crds/generate";
import { recordedOrigin } from "../../tools/crds/schemaToTs";
import { GENERATED_ROOT, GENERATED_SOURCES } from "../../tools/crds/sources";
import { operatorCrdFile } from "./support/operatorCrds";

describe.each(GENERATED_SOURCES.map((g) => [g.source.operator, g] as const))("%s", (operator, generated) => {
  it("records the sha256 of the pinned CRD file in every generated file of its own", async () => {
    const { sha256 } = readCrdFile(await operatorCrdFile(generated.source));
    const own = existingGeneratedFiles()
      .map((f) => recordedOrigin(fs.readFileSync(path.join(GENERATED_ROOT, f), "utf8")))
      .filter((o) => o?.operator === operator);
    expect(own.length).toBeGreaterThan(0);
    for (const origin of own) expect(origin).toEqual({ operator, version: generated.source.version, sha256 });
  });

  it("is what the generator makes from those CRDs now, file for file", async () => {
    const expected = await renderSource(generated);
    const own = existingGeneratedFiles().filter(
      (f) => recordedOrigin(fs.readFileSync(path.join(GENERATED_ROOT, f), "utf8"))?.operator === operator,
    );
    expect(own).toEqual(expected.map((f) => f.path).sort());
    for (const file of expected)
      expect(fs.readFileSync(path.join(GENERATED_ROOT, file.path), "utf8")).toBe(file.text);
  });
});

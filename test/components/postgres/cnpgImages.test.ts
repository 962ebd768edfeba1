import { CNPG_SUPPORTED_MAJORS, cnpgImage, imageMajor } from "../../../components/postgres/cnpgImages";

describe("cnpgImage", () => {
  it("pins every major the config accepts (14 to 18)", () => {
    expect(CNPG_SUPPORTED_MAJORS).toEqual([14, 15, 16, 17, 18]);
  });

  it.each(CNPG_SUPPORTED_MAJORS)(
    "pins PostgreSQL %i to a standard image by minor version, build and digest",
    (major) => {
      const image = cnpgImage(major);
      expect(image).toMatch(
        new RegExp(
          `^ghcr\\.io/cloudnative-pg/postgresql:${major}\\.\\d+-\\d{12}-standard-trixie@sha256:[0-9a-f]{64}$`,
        ),
      );
      expect(imageMajor(image)).toBe(major);
    },
  );

  it("refuses a major without a pinned image", () => {
    expect(() => cnpgImage(13)).toThrow(
      "postgres.version 13 has no pinned CloudNativePG image; supported majors: 14, 15, 16, 17, 18",
    );
  });
});

describe("imageMajor", () => {
  it("reads the major version from the tag, as CloudNativePG does", () => {
    expect(imageMajor("registry.corp:5000/mirror/postgresql:16.9-standard-trixie")).toBe(16);
    expect(imageMajor("ghcr.io/cloudnative-pg/postgresql:17")).toBe(17);
    expect(imageMajor("ghcr.io/cloudnative-pg/postgresql@sha256:" + "a".repeat(64))).toBeUndefined();
  });
});

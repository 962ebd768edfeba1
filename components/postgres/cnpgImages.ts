/**
 * The PostgreSQL operand image per major version: the CloudNativePG community `standard` image on
 * Debian trixie, pinned by immutable tag and digest, as published in CloudNativePG's signed
 * `postgresql-standard-trixie` ClusterImageCatalog (catalog date 2026-08-31).
 *
 * Why `standard`: it carries locales, pgaudit and pgvector, and — unlike the deprecated `system`
 * images (the bare `<major>.<minor>` tags) — no Barman Cloud, which backups no longer need in the
 * operand image: the Barman Cloud plugin runs it in its own sidecar.
 *
 * Why pinned by digest: a `:17` or `:17.11` tag moves with every weekly rebuild, and CloudNativePG
 * rolls every instance when the resolved image changes. A pinned image changes only when this
 * table does, in a reviewed commit — the moment the platform team chooses for a rolling update.
 * Refresh it from the catalog each PostgreSQL minor release (quarterly).
 */

export const CNPG_IMAGE_REPOSITORY = "ghcr.io/cloudnative-pg/postgresql";

/** Major → `<major>.<minor>-<build>-standard-trixie@sha256:<digest>`. */
const STANDARD_TRIXIE: Record<number, string> = {
  14: "14.24-202608310817-standard-trixie@sha256:19fdf3596c337c9ae3725dbcec345e85f64e3097b1e0e375575bc6d53c3e4497",
  15: "15.19-202608310817-standard-trixie@sha256:10c19625c4f43cd4f1cb04caf072a942853e10e510d96e9be656b3a7f0ad968a",
  16: "16.15-202608310817-standard-trixie@sha256:6fedafdbf8b5b241e94c0307783a4875525141b98c4cbb8ec8a0b4134e9545d6",
  17: "17.11-202608310816-standard-trixie@sha256:0eea5ac8c5e3043db94f4d512ffcfb9c06d6270a97f6d56e9f08e1571ef0484e",
  18: "18.6-202608310817-standard-trixie@sha256:c2a773217853c6e0ffe7da9c37ea456466efb20cf844f27511a73fa6a81e3152",
};

export const CNPG_SUPPORTED_MAJORS = Object.keys(STANDARD_TRIXIE).map(Number);

/** The pinned image for a PostgreSQL major version; throws for a major with no pinned image. */
export function cnpgImage(major: number): string {
  const tag = STANDARD_TRIXIE[major];
  if (!tag) {
    throw new Error(
      `postgres.version ${JSON.stringify(major)} has no pinned CloudNativePG image; supported majors: ${CNPG_SUPPORTED_MAJORS.join(", ")}`,
    );
  }
  return `${CNPG_IMAGE_REPOSITORY}:${tag}`;
}

/** The major version an image tag declares (CloudNativePG reads it the same way: the tag's leading number). */
export function imageMajor(image: string): number | undefined {
  const match = /:(\d+)(?:[._-][^@]*)?(?:@sha256:[a-f0-9]{64})?$/.exec(image);
  return match ? Number(match[1]) : undefined;
}

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
import { POSTGRES_IMAGES } from "../versions/pins";

export const CNPG_IMAGE_REPOSITORY = POSTGRES_IMAGES.repository;

/** Major → `<major>.<minor>-<build>-standard-trixie@sha256:<digest>` (pinned in the version table). */
const STANDARD_TRIXIE: Record<number, string> = POSTGRES_IMAGES.tags;

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

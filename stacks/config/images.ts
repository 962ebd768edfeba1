/** The image references mlstack accepts in config: a registry host and a pinned tag or digest. */
export const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;
export const IMAGE_RULE =
  "an image reference with a registry host and a pinned tag or digest (e.g. ghcr.io/org/app:1.2.3)";

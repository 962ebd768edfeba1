"""Build step: download the AWS RDS CA bundle into the image, and refuse anything that is not one.

Usage: python fetch-rds-ca-bundle.py URL DESTINATION [SHA256]

URL is the bundle's official HTTPS address (Dockerfile: RDS_CA_BUNDLE_URL), fetched with the
interpreter's TLS verification against the system trust store; `file://` is accepted for a
vetted copy already inside the build (offline builds). With SHA256 (Dockerfile:
RDS_CA_BUNDLE_SHA256) the bundle must have exactly that digest: pin it for reproducible builds.
The file must consist of PEM certificates only, every one of which OpenSSL parses, at least one
of them a CA. The digest and the number of certificates are printed for the build log.

Runs at image build time only; nothing is fetched when the server runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import sys
import tempfile
import urllib.request
from pathlib import Path

MAX_BYTES = 4 * 1024 * 1024  # the global bundle is ~160 KiB; anything this big is not it
PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----")


class BundleError(Exception):
    """The download is not an acceptable CA bundle; the message says why."""


def download(url: str) -> bytes:
    if not url.startswith(("https://", "file://")):
        raise BundleError(
            f"{url!r} is neither https:// nor file://; the bundle must not travel in clear text"
        )
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - scheme checked above
        data = response.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BundleError(f"{url} is larger than {MAX_BYTES} bytes; not a CA bundle")
    return data


def validate(data: bytes, expected_sha256: str | None) -> tuple[str, int]:
    """The bundle's SHA-256 and its number of CA certificates; raises BundleError otherwise."""
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256.lower():
        raise BundleError(f"SHA-256 is {digest}, expected {expected_sha256}")
    blocks = PEM_BLOCK.findall(data)
    if not blocks:
        raise BundleError("no PEM certificate in the download")
    if PEM_BLOCK.sub(b"", data).strip():
        raise BundleError("the download holds something besides PEM certificates")
    for index, block in enumerate(blocks, start=1):
        try:
            ssl.PEM_cert_to_DER_cert(block.decode("ascii"))
        except ValueError as error:
            raise BundleError(f"certificate {index} is not valid PEM ({error})") from error
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=data.decode("ascii"))
    except ssl.SSLError as error:
        raise BundleError(f"OpenSSL rejects the bundle ({error})") from error
    authorities = context.cert_store_stats()["x509_ca"]
    if authorities == 0:
        raise BundleError("no certificate in the bundle is a certificate authority")
    return digest, authorities


def write(data: bytes, destination: Path) -> None:
    """Atomically, world-readable (a CA bundle is public)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".bundle-")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, destination)


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print("usage: fetch-rds-ca-bundle.py URL DESTINATION [SHA256]", file=sys.stderr)
        return 2
    url, destination = argv[1], Path(argv[2])
    expected = argv[3] if len(argv) == 4 and argv[3] else None
    try:
        data = download(url)
        digest, authorities = validate(data, expected)
    except (BundleError, OSError) as error:
        print(f"fetch-rds-ca-bundle: {url}: {error}", file=sys.stderr)
        return 1
    write(data, destination)
    pinned = "matches RDS_CA_BUNDLE_SHA256" if expected else "pin it with --build-arg RDS_CA_BUNDLE_SHA256"
    print(f"fetch-rds-ca-bundle: {destination}: {authorities} CA certificates, sha256 {digest} ({pinned})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

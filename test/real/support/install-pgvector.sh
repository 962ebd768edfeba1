#!/usr/bin/env bash
# Installs the pgvector extension into Debian's PostgreSQL 15 for the real-process tests
# (test/real/pgvector.test.ts). Debian bookworm's archive carries no postgresql-15-pgvector
# (only the PostgreSQL project's own apt repository does, which this machine cannot reach), so it
# is built from source, the way that package builds it: the source comes through the Go module
# proxy (which serves any public repository as a module zip), the headers from Debian's
# postgresql-server-dev-15. Runs as root (it writes into PostgreSQL's lib and share folders);
# does nothing when that version is already installed.
set -euo pipefail

# 0.8.6 (2026-07-29) is the newest release: github.com/pgvector/pgvector CHANGELOG.md at v0.8.6.
# HNSW indexes need 0.5.0 or later.
PGVECTOR_VERSION=0.8.6
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

if [ ! -x "$PG_CONFIG" ]; then
  echo "install-pgvector: $PG_CONFIG is missing: apt-get install -y postgresql-server-dev-15" >&2
  exit 1
fi
sharedir="$("$PG_CONFIG" --sharedir)"
if [ -f "$sharedir/extension/vector--$PGVECTOR_VERSION.sql" ]; then
  exit 0
fi

source_dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/pgvector/pgvector@v$PGVECTOR_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$source_dir" ] || [ ! -f "$source_dir/vector.control" ]; then
  echo "install-pgvector: could not fetch github.com/pgvector/pgvector@v$PGVECTOR_VERSION through the Go module proxy" >&2
  exit 1
fi
build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT
cp -R "$source_dir/." "$build_dir"
chmod -R u+w "$build_dir"
# OPTFLAGS="": the upstream default is -march=native, which would tie the build to this CPU.
make -s -C "$build_dir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s -C "$build_dir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install >/dev/null
echo "install-pgvector: pgvector $PGVECTOR_VERSION installed into $("$PG_CONFIG" --pkglibdir)"

#!/usr/bin/env bash
# Restore a backup made by ops/backup.sh into DATABASE_URL, which must not exist yet or be empty,
# and unpack the stored files into MEDIA_ROOT, which must not exist yet or be empty (a restore never
# writes over live data). The database is restored in one transaction: if it fails, nothing is left
# behind and the same command can be run again.
# Usage: DATABASE_URL=postgres://.../smart ops/restore.sh backups/db-X.dump [backups/media-X.tar.gz]
set -euo pipefail
: "${DATABASE_URL:?Set DATABASE_URL to the database to restore into}"
dump=${1:?Name the .dump file to restore}
media_tar=${2:-}
cd "$(dirname "$0")/.."
media=${MEDIA_ROOT:-media}
if [[ -n "$media_tar" && -d "$media" && -n "$(ls -A "$media")" ]]; then
  echo "$media is not empty: restore the stored files into a new or empty folder (set MEDIA_ROOT)." >&2
  exit 1
fi
base=${DATABASE_URL%%\?*}
name=${base##*/}
maintenance="${base%/*}/postgres"
if ! psql "$maintenance" -tAXc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
  psql "$maintenance" -qXc "CREATE DATABASE \"$name\""
fi
tables=$(psql "$DATABASE_URL" -tAXc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [[ "$tables" != "0" ]]; then
  echo "$name already has $tables tables: restore into a new or empty database." >&2
  exit 1
fi
source ops/pg_bin.sh
"${PG_BIN}pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$DATABASE_URL" "$dump"
if [[ -n "$media_tar" ]]; then
  mkdir -p "$media"
  tar -xzf "$media_tar" -C "$media"
fi
echo "Restored $dump into $name${media_tar:+ and $media_tar into $media}"

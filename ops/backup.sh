#!/usr/bin/env bash
# Back up everything the app keeps: the PostgreSQL database (pg_dump custom format, which
# pg_restore reads) and the stored files (MEDIA_ROOT). Usage: DATABASE_URL=postgres://... ops/backup.sh
# Writes BACKUP_DIR/db-<UTC time>.dump and BACKUP_DIR/media-<UTC time>.tar.gz (default: backups/)
# and prints their paths; a failed run leaves only *.partial files. See docs/operations.md.
set -euo pipefail
: "${DATABASE_URL:?Set DATABASE_URL to the PostgreSQL database to back up}"
cd "$(dirname "$0")/.."
source ops/pg_bin.sh
dir=${BACKUP_DIR:-backups}
media=${MEDIA_ROOT:-media}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dir" "$media"
# Each file is written under a .partial name and renamed only once complete, so a dump or archive
# cut short (disk full, connection lost) never looks like a backup; a failure leaves only .partial files.
"${PG_BIN}pg_dump" --format=custom --no-owner --no-privileges --file "$dir/db-$stamp.dump.partial" "$DATABASE_URL"
tar -czf "$dir/media-$stamp.tar.gz.partial" -C "$media" .
mv "$dir/db-$stamp.dump.partial" "$dir/db-$stamp.dump"
mv "$dir/media-$stamp.tar.gz.partial" "$dir/media-$stamp.tar.gz"
echo "$dir/db-$stamp.dump"
echo "$dir/media-$stamp.tar.gz"

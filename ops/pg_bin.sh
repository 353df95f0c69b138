# Sourced by backup.sh and restore.sh: PG_BIN is the folder of the PostgreSQL client programs whose
# major version matches the server's (pg_dump refuses a newer server, and an older pg_restore may
# not read a newer dump). The server's own programs are used where they are installed beside it.
server_major=$(psql "$DATABASE_URL" -tAXc "SHOW server_version_num" | cut -c1-2)
if [[ -x "/usr/lib/postgresql/$server_major/bin/pg_dump" ]]; then
  PG_BIN="/usr/lib/postgresql/$server_major/bin/"
else
  PG_BIN=""
  client_major=$(pg_dump --version | grep -oE '[0-9]+' | head -1)
  if [[ "$client_major" != "$server_major" ]]; then
    echo "pg_dump is version $client_major but the server is $server_major: install postgresql-client-$server_major." >&2
    exit 1
  fi
fi

#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL and Redis on loopback for the tests, in a temporary directory, and
# prints the environment the tests read:
#   eval "$(scripts/services.sh start)"   ->  TCSSL_TEST_PG_URL, TCSSL_TEST_REDIS_URL
#   scripts/services.sh stop
# Test-only settings: fsync is off (the tests kill tcssl, never the database), and Redis keeps nothing on disk.
set -euo pipefail

dir=${TCSSL_SERVICES_DIR:-${TMPDIR:-/tmp}/tcssl-services}
cmd=${1:-start}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "services.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$d"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# initdb and postgres refuse to run as root; as root, run them as the postgres user the Debian package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    command -v redis-server >/dev/null || { echo "services.sh: redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
    bin=$(pg_bin)
    "$0" stop >/dev/null 2>&1 || true
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    pg_port=$(free_port)
    redis_port=$(free_port)
    as_pg "$bin/initdb" -D "$dir/pg" -A trust -U tcssl --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_pg "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
      -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$dir" --save '' --appendonly no \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "export TCSSL_TEST_PG_URL=postgres://tcssl@127.0.0.1:$pg_port/postgres"
    echo "export TCSSL_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
    ;;
  stop)
    if [ -d "$dir/pg" ]; then as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true; fi
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# A PostgreSQL cluster of its own in a folder, on 127.0.0.1 only, with a password
# (scram-sha-256), run as Debian's postgres user when we are root (initdb refuses root):
#   pg-cluster.sh create DIR   initdb, then start on a free port; prints "PORT PASSWORD"
#   pg-cluster.sh stop DIR     a fast shutdown (connections are ended)
#   pg-cluster.sh start DIR    starts it again on the same port
# scripts/services.sh makes the tests' shared cluster with it; a test that stops the server
# makes a cluster of its own, so that no other test sees the outage.
set -euo pipefail
command=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg-cluster: PostgreSQL is not installed" >&2; exit 1; }
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi

start() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=off" start >"$dir/start.log" 2>&1
}

case "$command" in
  create)
    rm -rf "$dir" && mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    password=orchestrator-test-pw
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' > "$dir/port"
    echo "$password" > "$dir/password" && chmod 644 "$dir/password"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U orchestrator --pwfile="$dir/password" --auth=scram-sha-256 \
      >"$dir/initdb.log" 2>&1
    start
    echo "$(cat "$dir/port") $password"
    ;;
  stop) "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >"$dir/stop.log" 2>&1 ;;
  start) start ;;
  *) echo "usage: pg-cluster.sh create|stop|start DIR" >&2; exit 64 ;;
esac

#!/usr/bin/env bash
# Starts the servers the tests talk to, on 127.0.0.1 only, and prints the variables that tell the
# tests where they are (eval "$(scripts/services.sh start)"); `scripts/services.sh stop` ends them.
#   ORCHESTRATOR_TEST_ES_URL       osmem-server, an in-memory Elasticsearch-compatible server (PyPI)
#   ORCHESTRATOR_TEST_ES_AUTH_URL  nginx with basic auth (user elastic, password test-pa55) in front of it
#   ORCHESTRATOR_TEST_ES_TLS_URL   the same over https, with a self-signed certificate for 127.0.0.1
#   ORCHESTRATOR_TEST_ES_CAFILE    that certificate
#   ORCHESTRATOR_TEST_PYTHON       a Python with openpyxl, for spreadsheets written by a real library
#   ORCHESTRATOR_TEST_PODMAN_IMAGE an image built from Debian's busybox-static, in a podman (with runc)
#                                  whose storage and configuration are in .build/test-services/podman:
#   CONTAINERS_CONF, CONTAINERS_STORAGE_CONF  that podman's configuration files
#   ORCHESTRATOR_TEST_POSTGRES_URL, ORCHESTRATOR_TEST_PGPASSWORD  a PostgreSQL 15 cluster (initdb, pg_ctl)
#   ORCHESTRATOR_TEST_POSTGRES_SQL  `sql STATEMENT` runs one statement on it as its superuser
#   ORCHESTRATOR_TEST_CHROMIUM, ORCHESTRATOR_TEST_CHROMEDRIVER, ORCHESTRATOR_TEST_SELENIUM_PYTHON
#                                  headless Chromium, its driver, and a Python with Selenium
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir="$PWD/.build/test-services"

start() {
  mkdir -p "$run_dir"
  python=$(scripts/python-env.sh yaml jsonschema openpyxl osmem_server openapi_spec_validator)
  osmem=$("$python" -c 'import os, osmem_server; print(os.path.join(os.path.dirname(osmem_server.__file__), "bin", "osmem-server"))')
  chmod +x "$osmem" 2>/dev/null || true
  "$osmem" --addr 127.0.0.1:0 --no-stdin-watch > "$run_dir/osmem.log" 2>&1 &
  echo $! > "$run_dir/osmem.pid"
  local url=""
  for _ in $(seq 100); do
    url=$(grep -o '"url":"[^"]*"' "$run_dir/osmem.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "services: osmem-server did not start: $(cat "$run_dir/osmem.log")" >&2; exit 1; }
  echo "export ORCHESTRATOR_TEST_ES_URL=$url"
  echo "export ORCHESTRATOR_TEST_PYTHON=$python"

  if ! command -v nginx >/dev/null && [ "$(id -u)" = 0 ]; then
    # Install without starting Debian's own nginx (it would listen on every address).
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1; }; } || true
    [ "$created" = 1 ] && rm -f "$policy"
  fi
  if command -v nginx >/dev/null; then
    local port tls_port
    port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    tls_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'elastic:%s\n' "$(openssl passwd -apr1 test-pa55)" > "$run_dir/htpasswd"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$run_dir/tls.key" -out "$run_dir/tls.crt" >/dev/null 2>&1
    cat > "$run_dir/nginx.conf" <<CONF
pid $run_dir/nginx.pid;
error_log $run_dir/nginx-error.log;
daemon on;
events {}
http {
  access_log off;
  client_body_temp_path $run_dir/body;
  proxy_temp_path $run_dir/proxy;
  client_max_body_size 64m;
  server {
    listen 127.0.0.1:$port;
    location / {
      auth_basic "elasticsearch";
      auth_basic_user_file $run_dir/htpasswd;
      proxy_pass ${url};
    }
  }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $run_dir/tls.crt;
    ssl_certificate_key $run_dir/tls.key;
    location / {
      auth_basic "elasticsearch";
      auth_basic_user_file $run_dir/htpasswd;
      proxy_pass ${url};
    }
  }
}
CONF
    if nginx -c "$run_dir/nginx.conf" -p "$run_dir" 2>"$run_dir/nginx-start.log"; then
      echo "export ORCHESTRATOR_TEST_ES_AUTH_URL=http://127.0.0.1:$port"
      echo "export ORCHESTRATOR_TEST_ES_TLS_URL=https://127.0.0.1:$tls_port"
      echo "export ORCHESTRATOR_TEST_ES_CAFILE=$run_dir/tls.crt"
    else
      echo "services: nginx did not start; basic auth is not tested: $(cat "$run_dir/nginx-start.log")" >&2
    fi
  else
    echo "services: nginx is not installed; basic auth is not tested" >&2
  fi
  containers
  promtool_check
  browser
  postgres
}

# PostgreSQL 15 from Debian, a cluster of its own in .build/test-services/postgres (made by
# scripts/pg-cluster.sh: initdb, then pg_ctl), on 127.0.0.1 only, a free port, with a password.
postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1; }; } || true
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] || { echo "services: PostgreSQL is not installed; the PostgreSQL store is not tested" >&2; return; }
  local dir="$run_dir/postgres" port password
  if read -r port password < <(scripts/pg-cluster.sh create "$dir") \
    && PGPASSWORD=$password "$bin/createdb" -h 127.0.0.1 -p "$port" -U orchestrator orchestrator_test >"$dir/createdb.log" 2>&1; then
    echo "$bin" > "$run_dir/postgres.bin"
    # One SQL statement as the cluster's superuser: for tests that cut a database off and back.
    printf '#!/bin/sh\nPGPASSWORD=%s exec %s/psql -X -q -h 127.0.0.1 -p %s -U orchestrator -d orchestrator_test -v ON_ERROR_STOP=1 -c "$1" </dev/null\n' \
      "$password" "$bin" "$port" > "$dir/sql"
    chmod +x "$dir/sql"
    echo "export ORCHESTRATOR_TEST_POSTGRES_SQL=$dir/sql"
    echo "export ORCHESTRATOR_TEST_POSTGRES_URL=postgres://orchestrator@127.0.0.1:$port/orchestrator_test?sslmode=disable"
    echo "export ORCHESTRATOR_TEST_PGPASSWORD=$password"
  else
    echo "services: PostgreSQL did not start: $(cat "$dir"/*.log 2>/dev/null | tail -5)" >&2
  fi
}

# A real browser for the console's pages: Debian chromium and chromium-driver (headless, no
# server: chromedriver is started by each test on 127.0.0.1), driven by Selenium from PyPI.
browser() {
  if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; } && [ "$(id -u)" = 0 ]; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }; } || true
  fi
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    echo "export ORCHESTRATOR_TEST_CHROMIUM=$(command -v chromium) ORCHESTRATOR_TEST_CHROMEDRIVER=$(command -v chromedriver)"
    echo "export ORCHESTRATOR_TEST_SELENIUM_PYTHON=$(scripts/python-env.sh selenium)"
  else
    echo "services: chromium or chromium-driver is not installed; the console's pages are not tested in a browser" >&2
  fi
}

# Prometheus's own checker of the /metrics exposition (Debian prometheus; only promtool is used,
# no server is started).
promtool_check() {
  if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ]; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; }; } || true
  fi
  if command -v promtool >/dev/null; then
    echo "export ORCHESTRATOR_TEST_PROMTOOL=$(command -v promtool)"
  else
    echo "services: promtool (Debian prometheus) is not installed; /metrics is not checked by it" >&2
  fi
}

# A real container runtime: podman with runc (crun refuses this machine's hybrid cgroups), its
# storage in a folder of ours (so the tests see only their own containers), default ulimits
# within the hard limits, and an image imported from busybox-static (no registry is reachable).
containers() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; } || true
  fi
  command -v podman >/dev/null && command -v runc >/dev/null || { echo "services: podman or runc is not installed; container runs are not tested" >&2; return; }
  local dir="$run_dir/podman"
  mkdir -p "$dir/image/bin"
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n' > "$dir/containers.conf"
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n' "$dir" "$dir" > "$dir/storage.conf"
  export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
  cp /bin/busybox "$dir/image/bin/busybox"
  for tool in sh cat sleep printf env ls echo test sha256sum wc; do ln -sf busybox "$dir/image/bin/$tool"; done
  tar -C "$dir/image" -cf "$dir/image.tar" .
  if podman import "$dir/image.tar" localhost/orchestrator-test:busybox >"$dir/import.log" 2>&1; then
    echo "export CONTAINERS_CONF=$CONTAINERS_CONF CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
    echo "export ORCHESTRATOR_TEST_PODMAN_IMAGE=localhost/orchestrator-test:busybox"
  else
    echo "services: podman cannot import an image; container runs are not tested: $(cat "$dir/import.log")" >&2
  fi
}

stop() {
  if [ -f "$run_dir/podman/storage.conf" ] && command -v podman >/dev/null; then
    CONTAINERS_CONF="$run_dir/podman/containers.conf" CONTAINERS_STORAGE_CONF="$run_dir/podman/storage.conf" podman rm -af >/dev/null 2>&1 || true
  fi
  if [ -f "$run_dir/postgres.bin" ]; then
    scripts/pg-cluster.sh stop "$run_dir/postgres" >/dev/null 2>&1 || true
    rm -f "$run_dir/postgres.bin"
  fi
  [ -f "$run_dir/nginx.pid" ] && kill "$(cat "$run_dir/nginx.pid")" 2>/dev/null || true
  [ -f "$run_dir/osmem.pid" ] && kill "$(cat "$run_dir/osmem.pid")" 2>/dev/null || true
  rm -f "$run_dir/nginx.pid" "$run_dir/osmem.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/services.sh start|stop" >&2; exit 64 ;;
esac

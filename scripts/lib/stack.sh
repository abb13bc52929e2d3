# Shared by dev.sh, test.sh and bench.sh: find or build the tools, find or start the services.
# Everything here is idempotent: a service already listening is reused, a tool already built is not rebuilt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Built tools live outside the checkout so a fresh clone on the same machine (CI) finds them.
CACHE_DIR="${TRACK15_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/track15}"
BIN_DIR="$CACHE_DIR/bin"
STATE_DIR="$ROOT/.stack"
mkdir -p "$BIN_DIR" "$STATE_DIR"
export PATH="$BIN_DIR:$PATH:/usr/local/go/bin"

# Node 24 LTS, exact, from the npm registry's node-<os>-<arch> package (the official binary) when the
# machine's node is older. package.json "engines" says the same major.
NODE_VERSION=24.22.3
TEMPORAL_MODULE="github.com/temporalio/cli/cmd/temporal@v1.5.1"
STRIPE_MOCK_MODULE="github.com/stripe/stripe-mock@v0.197.0"

say() { printf '\033[1m[stack]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[stack] %s\033[0m\n' "$*" >&2; exit 1; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# ensure_node: Node $NODE_VERSION first on PATH (as $BIN_DIR/node) when the machine's node is older than 24,
# or when an earlier run linked one (so a version bump here is followed). npm, npx and every tool they
# start run on it, because their scripts begin with `#!/usr/bin/env node`.
ensure_node() {
  local dir="$CACHE_DIR/node-v$NODE_VERSION"
  if [ -L "$BIN_DIR/node" ] || [ "$(node_major)" -lt 24 ]; then
    [ -x "$dir/bin/node" ] || fetch_node "$dir"
    ln -sfn "$dir/bin/node" "$BIN_DIR/node"
    # Native modules compiled from source need this Node's headers (the package carries them), not the machine's.
    export npm_config_nodedir="$dir"
  fi
  say "Node $(node -v) ($(command -v node))"
}

# fetch_node DIR: unpacks node-<os>-<arch>@$NODE_VERSION into DIR. `npm pack` checks the tarball against the
# registry's integrity hash; the lock keeps two first runs on one machine from unpacking at once.
fetch_node() {
  local dest="$1" os arch tmp
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "Node 24+ is needed; install it from https://nodejs.org (no npm package for $(uname -s))." ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) die "Node 24+ is needed; install it from https://nodejs.org (no npm package for $(uname -m))." ;; esac
  exec 8>"$CACHE_DIR/.node.lock"
  command -v flock >/dev/null 2>&1 && flock 8
  if [ ! -x "$dest/bin/node" ]; then
    say "fetching Node $NODE_VERSION once from the npm registry (node-$os-$arch; cached in $dest)"
    tmp="$(mktemp -d "$CACHE_DIR/.node-download.XXXXXX")"
    if ! (cd "$tmp" && npm pack --silent "node-$os-$arch@$NODE_VERSION" >/dev/null && tar -xzf ./*.tgz && package/bin/node -v >/dev/null); then
      rm -rf "$tmp"
      die "could not fetch Node $NODE_VERSION (npm pack node-$os-$arch@$NODE_VERSION failed); install Node 24 from https://nodejs.org"
    fi
    rm -rf "$dest" && mv "$tmp/package" "$dest" && rm -rf "$tmp"
  fi
  exec 8>&-
}

# npm ci again when the lockfile changed or the modules were installed by another Node ABI
# (npm ci picks and builds native modules, such as Temporal's core bridge, for the Node that runs it).
ensure_node_modules() {
  local abi stamp="$ROOT/node_modules/.track15-node-abi"
  abi="$(node -p process.versions.modules)"
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ] \
    || [ "$(cat "$stamp" 2>/dev/null)" != "$abi" ]; then
    say "installing npm dependencies (npm ci) for Node $(node -v)"
    (cd "$ROOT" && npm ci --no-audit --no-fund >/dev/null)
    echo "$abi" >"$stamp"
  fi
}

# ensure_go_tool NAME MODULE: a NAME on PATH, else `go install MODULE` into the cache.
ensure_go_tool() {
  local name="$1" module="$2"
  if command -v "$name" >/dev/null 2>&1; then return; fi
  command -v go >/dev/null 2>&1 || die "$name is not on PATH and Go is not installed to build it. Install Go 1.22+ (https://go.dev/dl) or put $name on PATH."
  say "building $name once with go install $module (cached in $BIN_DIR; takes a few minutes)"
  GOBIN="$BIN_DIR" GOFLAGS=-mod=mod go install "$module" || die "could not build $name: go install $module failed (see above)"
}

ensure_tools() {
  ensure_go_tool temporal "$TEMPORAL_MODULE"
  ensure_go_tool stripe-mock "$STRIPE_MOCK_MODULE"
}

# ensure_chromium: Debian's Chromium at $CHROMIUM_PATH (default /usr/bin/chromium) for the real-browser
# tests (playwright-core drives it; `npx playwright install` needs a download host this project cannot
# assume). Installed with apt-get when missing and this user may; otherwise the reason is printed and
# the browser suites fail with it.
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
ensure_chromium() {
  [ -x "$CHROMIUM_PATH" ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium once for the browser tests (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$STATE_DIR/chromium-install.log" 2>&1 \
      || die "apt-get install chromium failed (log: .stack/chromium-install.log)"
  else
    die "Chromium is missing at $CHROMIUM_PATH: install it (sudo apt-get install chromium) or set CHROMIUM_PATH"
  fi
  export CHROMIUM_PATH
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local host="$1" port="$2" what="$3" tries=0
  until port_open "$host" "$port"; do
    tries=$((tries + 1))
    [ "$tries" -gt 300 ] && die "$what did not open $host:$port within 60s (log: $STATE_DIR)"
    sleep 0.2
  done
}

# Each process runs in a session of its own (setsid), so stopping it ends its children too.
STARTED=()
launch() {
  local name="$1"; shift
  setsid "$@" >"$STATE_DIR/$name.log" 2>&1 &
  echo $! >"$STATE_DIR/$name.pid"
  STARTED+=("$!")
}

# start_bg NAME HOST PORT CMD...: runs CMD in the background unless something already listens on PORT.
start_bg() {
  local name="$1" host="$2" port="$3"; shift 3
  if port_open "$host" "$port"; then say "$name: reusing what listens on $host:$port"; return; fi
  launch "$name" "$@"
  wait_port "$host" "$port" "$name"
  say "$name: started on $host:$port (log: .stack/$name.log)"
}

# Ends exactly what this run started (whole process groups) and waits for them to exit.
stop_started() {
  local pid
  for pid in "${STARTED[@]:-}"; do
    [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${STARTED[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}

pg_reachable() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

# Sets PG_ADMIN_URL (a superuser URL without database) and says which server is used:
# DATABASE_OWNER_URL/DATABASE_URL when reachable, else 127.0.0.1:5432, else a private cluster in .stack/pg.
ensure_postgres() {
  local given="${DATABASE_OWNER_URL:-${DATABASE_URL:-}}"
  if [ -n "$given" ] && pg_reachable "$given"; then
    PG_ADMIN_URL="${given%/*}"
    say "PostgreSQL: using the server of DATABASE_OWNER_URL/DATABASE_URL (${PG_ADMIN_URL#*@})"
  elif pg_reachable "postgres://postgres@127.0.0.1:5432/postgres"; then
    PG_ADMIN_URL="postgres://postgres@127.0.0.1:5432"
    say "PostgreSQL: using the server on 127.0.0.1:5432"
  else
    start_private_postgres
    PG_ADMIN_URL="postgres://postgres@127.0.0.1:54329"
    say "PostgreSQL: using the private cluster in .stack/pg on 127.0.0.1:54329"
  fi
  export PG_ADMIN_URL
}

start_private_postgres() {
  local bindir data="$STATE_DIR/pg" as=()
  bindir="$(command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$bindir/initdb" ] || die "No PostgreSQL server is reachable and no initdb was found. Install PostgreSQL 15+ (apt-get install postgresql) or set DATABASE_URL."
  # PostgreSQL refuses to run as root; run the private cluster as the postgres user then.
  if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || useradd -r postgres; as=(runuser -u postgres --); fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"; [ ${#as[@]} -gt 0 ] && chown postgres "$data"
    "${as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  if ! port_open 127.0.0.1 54329; then
    "${as[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -o "-p 54329 -c listen_addresses=127.0.0.1 -k /tmp" -w start >/dev/null
  fi
}

# create_database NAME: creates it if missing (as the admin).
create_database() {
  local name="$1"
  if [ "$(psql "$PG_ADMIN_URL/postgres" -Atqc "select 1 from pg_database where datname = '$name'")" != 1 ]; then
    psql "$PG_ADMIN_URL/postgres" -qc "create database \"$name\"" >/dev/null
  fi
}

# The app connects as track15_app, which does not own the tables, so row-level security applies to it.
# Same host and port as the admin URL; roles are created by the first migration.
app_url_for() { local hostport="${PG_ADMIN_URL#*@}"; echo "postgres://track15_app@$hostport/$1"; }

SEARCH_ATTRIBUTES=(CampaignId=Keyword ClientId=Keyword Track15Stage=Keyword Track15Season=Keyword CurrentStep=Int ActivationStatus=Keyword)

# start_temporal PORT UI_PORT DB_FILE: the Temporal dev server, with the project's search attributes.
start_temporal() {
  local port="$1" ui_port="$2" db_file="$3" args=()
  local attr; for attr in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$attr"); done
  [ -n "$db_file" ] && args+=(--db-filename "$db_file")
  [ "$ui_port" = none ] && args+=(--headless) || args+=(--ui-port "$ui_port")
  start_bg "temporal-$port" 127.0.0.1 "$port" temporal server start-dev --ip 127.0.0.1 --port "$port" \
    --log-level warn "${args[@]}"
}

# stripe-mock also serves HTTPS, on 12112 unless told otherwise: two stacks (dev beside test) would fight
# over it, so each takes the port after its HTTP one.
start_stripe_mock() { start_bg "stripe-mock-$1" 127.0.0.1 "$1" stripe-mock -http-addr "127.0.0.1:$1" -https-addr "127.0.0.1:$(($1 + 1))"; }

start_sendgrid_sink() { start_bg "sendgrid-sink-$1" 127.0.0.1 "$1" env SINK_PORT="$1" node --import tsx "$ROOT/test/fakes/sendgrid-sink-server.ts"; }

# The Twilio sink accepts the credentials the worker is given (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, the
# product's defaults when unset).
start_twilio_sink() { start_bg "twilio-sink-$1" 127.0.0.1 "$1" env SINK_PORT="$1" node --import tsx "$ROOT/test/fakes/twilio-sink-server.ts"; }

# start_proc NAME CMD...: a project process (worker, API) in the background, stopped with the stack.
start_proc() {
  local name="$1"; shift
  launch "$name" "$@"
  say "$name: started (log: .stack/$name.log)"
}

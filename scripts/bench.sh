#!/usr/bin/env bash
# `npm run bench -- <name>` runs bench/<name>.ts (rfm, fanout, api); with no name, all of them.
# Each benchmark prints its figures next to a baseline measured in the same run.
source "$(dirname "$0")/lib/stack.sh"
trap stop_started EXIT

ensure_node
ensure_node_modules
ensure_tools
ensure_postgres
start_temporal 7253 none ""
export TEMPORAL_ADDRESS=127.0.0.1:7253 LOG_LEVEL=warn

cd "$ROOT"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(rfm fanout api)
for name in "${names[@]}"; do
  [ -f "bench/$name.ts" ] || die "no benchmark bench/$name.ts (have: $(ls bench | sed 's/\.ts$//' | tr '\n' ' '))"
  say "bench: $name"
  npx tsx "bench/$name.ts"
done

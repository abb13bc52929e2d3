#!/usr/bin/env bash
# `npm test`: provisions the test stack (own databases and ports, never the dev data), then runs
# typecheck, lint and the whole jest suite. Extra arguments go to jest (e.g. `npm test -- test/unit`).
source "$(dirname "$0")/lib/stack.sh"
trap stop_started EXIT

ensure_node
ensure_node_modules
ensure_tools
ensure_postgres
ensure_chromium

# The test stack listens on its own ports so it can run beside `npm run dev`.
start_temporal 7243 none ""
start_stripe_mock 12121

export TEMPORAL_ADDRESS=127.0.0.1:7243 STRIPE_API_BASE=http://127.0.0.1:12121 LOG_LEVEL=warn CHROMIUM_PATH

cd "$ROOT"
say "typecheck"; npx tsc --noEmit
say "lint"; npx eslint --max-warnings 0 .
say "jest"; npx jest "$@"

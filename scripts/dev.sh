#!/usr/bin/env bash
# `npm run dev`: the whole product on this machine. Provisions PostgreSQL, Temporal (with its Web UI),
# stripe-mock and the SendGrid sink, migrates, starts the worker and the API, seeds a demo campaign at
# rehearsal pace, and prints where to look. Ctrl-C stops everything it started; a second run reuses
# what is already running.
source "$(dirname "$0")/lib/stack.sh"
trap 'stop_started; exit 0' INT TERM
trap stop_started EXIT

ensure_node
ensure_node_modules
ensure_tools
ensure_postgres
create_database track15_dev

export DATABASE_OWNER_URL="${DATABASE_OWNER_URL:-$PG_ADMIN_URL/track15_dev}"
export DATABASE_URL="${DATABASE_URL:-$(app_url_for track15_dev)}"
export TEMPORAL_ADDRESS=127.0.0.1:7233 SENDGRID_BASE_URL=http://127.0.0.1:3090 STRIPE_API_BASE=http://127.0.0.1:12111 TWILIO_API_BASE=http://127.0.0.1:3091
# Local webhook receivers (budget alerts) listen on 127.0.0.1 over http.
export OUTBOUND_WEBHOOKS_ALLOW_PRIVATE="${OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:-true}"

start_temporal 7233 8233 "$STATE_DIR/temporal-dev.db"
start_stripe_mock 12111
start_sendgrid_sink 3090
start_twilio_sink 3091

cd "$ROOT"
npx tsx scripts/migrate.ts up
start_proc worker node --import tsx workflows/worker.ts
if port_open 127.0.0.1 3000; then say "api: reusing what listens on 127.0.0.1:3000"; else
  start_proc api node --import tsx api/server.ts
  wait_port 127.0.0.1 3000 api
fi
npx tsx scripts/seed-demo.ts

cat <<MSG

  API            http://127.0.0.1:3000/v1        (Authorization: Bearer <the key printed above>)
  API docs       http://127.0.0.1:3000/docs
  Temporal UI    http://127.0.0.1:8233/namespaces/default/workflows
  Sent email     http://127.0.0.1:3090/__sink/deliveries
  Sent texts     http://127.0.0.1:3091/__sink/messages
  Metrics        http://127.0.0.1:9464/metrics (API), http://127.0.0.1:9465/metrics (worker)
  Logs           .stack/*.log

  The demo campaign sends one touchpoint a minute. Ctrl-C stops everything.
MSG
wait

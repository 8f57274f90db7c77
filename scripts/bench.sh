#!/usr/bin/env bash
# Benchmarks the API (see scripts/bench.py for what it measures). Release build; installs wrk
# (the load generator, from Debian) once. Pass-through options: --db sqlite|postgres|both,
# --seconds N, --connections N, --staff N, --messages N, --webhook.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
scripts/ensure-postgres.sh
cargo build --release -p simo-backend --bin simo-backend --example ceiling
exec python3 scripts/bench.py "$@"

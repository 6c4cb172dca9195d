#!/usr/bin/env bash
# Sets up the Python environment, builds the index if missing, and serves on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/venv.sh)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$venv/bin/python" -m search_app.serve "$@"

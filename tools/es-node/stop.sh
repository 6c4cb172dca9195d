#!/usr/bin/env bash
# Stops nodes started by tools/es-node/start.sh and deletes their temporary data folders.
#
#   tools/es-node/stop.sh [--port HTTP_PORT]     (no port: every node started from this checkout)
#
# ES_NODE_KEEP_DATA=1 keeps the data folder (its path is in target/run/es-PORT.home).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run="$here/target/run"
port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port|--http-port) port=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" >&2; exit 0 ;;
    *) echo "stop.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

is_our_node() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'township.esnode.EsNodeMain'
}

if [ -n "$port" ]; then
  pidfiles=("$run/es-$port.pid")
else
  shopt -s nullglob
  pidfiles=("$run"/es-*.pid)
fi

status=0
for pf in "${pidfiles[@]}"; do
  [ -f "$pf" ] || { echo "es-node: nothing started on port ${port:-?}" >&2; continue; }
  p=$(basename "$pf" .pid); p=${p#es-}
  pid=$(cat "$pf")
  if is_our_node "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "es-node: pid $pid did not stop within 30s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "es-node: stopped the node on port $p (pid $pid)" >&2
  fi
  rm -f "$pf"
  hf="$run/es-$p.home"
  if [ -f "$hf" ]; then
    home=$(cat "$hf")
    if [ "${ES_NODE_KEEP_DATA:-0}" != 1 ] && [ -n "$home" ] && [ -d "$home" ] && [ -d "$home/tmp" ]; then
      case "$home" in */es-node-"$p".*) rm -rf "$home" ;; esac
    fi
    [ "${ES_NODE_KEEP_DATA:-0}" = 1 ] || rm -f "$hf"
  fi
done
exit $status

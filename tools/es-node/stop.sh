#!/usr/bin/env bash
# Stops nodes started by tools/es-node/start.sh. Their data is kept for the next start unless --wipe.
#
#   tools/es-node/stop.sh [--port HTTP_PORT] [--wipe]
#
# --port P: the cluster whose first node listens on P (all its nodes), or the one node on P when P is
# another node of a cluster (to stop just that one). No port: every node started from this checkout.
# --wipe: also delete the data of the cluster(s) stopped (target/data/es-P).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run="$here/target/run"
port=""
wipe=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port|--http-port) port=$2; shift 2 ;;
    --wipe) wipe=1; shift ;;
    -h|--help) sed -n '2,8p' "$0" >&2; exit 0 ;;
    *) echo "stop.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

is_our_node() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'township.esnode.EsNodeMain'
}

ports=()
if [ -n "$port" ]; then
  if [ -f "$run/cluster-$port.nodes" ]; then
    for i in $(seq 0 $(( $(cat "$run/cluster-$port.nodes") - 1 ))); do ports+=($((port + i))); done
  else
    ports=("$port")
  fi
else
  shopt -s nullglob
  for pf in "$run"/es-*.pid; do p=$(basename "$pf" .pid); ports+=("${p#es-}"); done
fi

stopping=()
for p in "${ports[@]}"; do
  pf="$run/es-$p.pid"
  [ -f "$pf" ] || continue
  pid=$(cat "$pf")
  if is_our_node "$pid"; then
    kill -TERM "$pid"
    stopping+=("$p:$pid")
  fi
  rm -f "$pf"
done
for entry in "${stopping[@]}"; do  # all were signalled at once; wait for each
  p=${entry%%:*}; pid=${entry#*:}
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "es-node: pid $pid did not stop within 30s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "es-node: stopped the node on port $p (pid $pid)" >&2
done

if [ "$wipe" = 1 ]; then
  for p in "${ports[@]}"; do
    hf="$run/es-$p.home"
    [ -f "$hf" ] || continue
    data=$(cat "$hf")
    case "$data" in */es-[0-9]*) rm -rf "$data" ;; esac
    rm -f "$hf"
  done
  [ -z "$port" ] || rm -f "$run/cluster-$port.nodes"
fi
exit 0

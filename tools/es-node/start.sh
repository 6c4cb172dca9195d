#!/usr/bin/env bash
# Starts a local Elasticsearch node (or a 3-node cluster in one JVM) in the background and prints its
# URL on stdout once it is healthy; everything else goes to stderr. See README.md.
#
#   tools/es-node/start.sh [--nodes N] [--port HTTP_PORT] [--transport-port PORT] [--heap SIZE] [--timeout SECONDS]
#
# Defaults: 1 node, http 9250 (node i of N listens on HTTP_PORT+i), transport HTTP_PORT+100, heap 512m
# (1g for several nodes), timeout 180 s. Environment: ES_NODE_PORT, ES_NODE_NODES, ES_NODE_HEAP,
# ES_NODE_TIMEOUT set the same defaults; ES_JAVA_OPTS adds JVM options; JAVA_HOME picks the JDK (17+).
# If this script already started a healthy node on that port, it prints the URL and leaves it running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

nodes=${ES_NODE_NODES:-1}
port=${ES_NODE_PORT:-9250}
tport=""
heap=${ES_NODE_HEAP:-}
timeout=${ES_NODE_TIMEOUT:-180}
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --port|--http-port) port=$2; shift 2 ;;
    --transport-port) tport=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" >&2; exit 0 ;;
    *) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$tport" ] || tport=$((port + 100))
if [ -z "$heap" ]; then
  if [ "$nodes" -gt 1 ]; then heap=1g; else heap=512m; fi
fi
url="http://127.0.0.1:$port"
want=yellow
[ "$nodes" -gt 1 ] && want=green

run="$here/target/run"
pidfile="$run/es-$port.pid"
logfile="$run/es-$port.log"
mkdir -p "$run"

is_our_node() {  # pid -> true if it is a live es-node JVM
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'township.esnode.EsNodeMain'
}
healthy() {
  curl -sf -o /dev/null --max-time 5 "$url/_cluster/health?wait_for_status=$want&wait_for_nodes=$nodes&timeout=1s"
}

# Already running (started by this script)?
if [ -f "$pidfile" ]; then
  old=$(cat "$pidfile")
  if is_our_node "$old"; then
    if healthy; then
      echo "es-node: already running on $url (pid $old); tools/es-node/stop.sh --port $port stops it" >&2
      echo "$url"
      exit 0
    fi
    echo "es-node: pid $old runs on port $port but is not healthy; stopping it" >&2
    bash "$here/stop.sh" --port "$port" >&2 || true
  fi
  rm -f "$pidfile"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((i = 0; i < nodes; i++)); do
  for p in $((port + i)) $((tport + i)); do
    if port_busy "$p"; then
      echo "es-node: port $p on 127.0.0.1 is already in use (pick another with --port / --transport-port)" >&2
      exit 1
    fi
  done
done

# Java 17+.
java=java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java="$JAVA_HOME/bin/java"
command -v "$java" >/dev/null 2>&1 || { echo "es-node: no java on PATH (need a JDK 17+)" >&2; exit 1; }
jv=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${jv%%.*}" -lt 17 ] 2>/dev/null; then
  echo "es-node: $java is Java $jv; Elasticsearch 8 needs 17+" >&2; exit 1
fi

if [ "${jv%%.*}" -ge 21 ] 2>/dev/null; then
  echo "es-node: note: on Java $jv Elasticsearch's native code needs libvec.so from the ES distribution, which Maven" \
    "Central lacks, so native access is off (index.codec best_compression fails); Java 17 has no such gap" >&2
fi

# Build (offline when Maven's local repository already has everything, online otherwise).
jar="$here/target/es-node.jar"
if [ ! -f "$jar" ] || [ ! -d "$here/target/lib" ] || [ -n "$(find "$here/pom.xml" "$here/src" -newer "$jar" -print -quit)" ]; then
  command -v mvn >/dev/null 2>&1 || { echo "es-node: Maven (mvn) is needed to build tools/es-node" >&2; exit 1; }
  echo "es-node: building with Maven" >&2
  rm -rf "$here/target/lib"
  if ! (cd "$here" && mvn -q -o -B package >"$run/mvn-offline.log" 2>&1); then
    echo "es-node: offline build failed (see $run/mvn-offline.log); retrying online" >&2
    (cd "$here" && mvn -q -B package >&2) || { echo "es-node: Maven build failed" >&2; exit 1; }
  fi
fi

# Elasticsearch's native code (Java 21+: through the JDK's foreign-function API) loads libzstd.so; Debian
# ships only libzstd.so.1 (package libzstd1), so point es.nativelibs.path at a folder linking to it.
native="$here/target/native"
mkdir -p "$native"
if [ ! -e "$native/libzstd.so" ]; then
  for z in /usr/lib/x86_64-linux-gnu/libzstd.so.1 /usr/lib/aarch64-linux-gnu/libzstd.so.1 /usr/lib64/libzstd.so.1 /usr/lib/libzstd.so.1; do
    [ -e "$z" ] && { ln -sf "$z" "$native/libzstd.so"; break; }
  done
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/es-node-$port.XXXXXX")
mkdir -p "$home/tmp"
echo "$home" >"$run/es-$port.home"

jvm_opts=(
  "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -Xss1m -XX:-OmitStackTraceInFastThrow
  # C1 only: starts in about half the time on a 2-CPU machine; ES_JAVA_OPTS=-XX:TieredStopAtLevel=4
  # restores the full JIT (do that for benchmarks)
  -XX:TieredStopAtLevel=1
  -Dfile.encoding=UTF-8 -Djava.locale.providers=CLDR "-Djava.io.tmpdir=$home/tmp"
  -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false -Dlog4j2.formatMsgNoLookups=true
  -Des.networkaddress.cache.ttl=60 -Des.networkaddress.cache.negative.ttl=10
  --enable-native-access=ALL-UNNAMED "-Des.nativelibs.path=$native"
)
# shellcheck disable=SC2206
extra_opts=(${ES_JAVA_OPTS:-})

start_ns=$(date +%s%N)
"$java" "${jvm_opts[@]}" "${extra_opts[@]}" -cp "$jar:$here/target/lib/*" township.esnode.EsNodeMain \
  --nodes "$nodes" --http-port "$port" --transport-port "$tport" --home "$home" \
  </dev/null >"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

fail() {
  echo "es-node: $1; last lines of $logfile:" >&2
  tail -n 40 "$logfile" >&2 || true
  bash "$here/stop.sh" --port "$port" >/dev/null 2>&1 || true
  exit 1
}
deadline=$(( $(date +%s) + timeout ))
until healthy; do
  kill -0 "$pid" 2>/dev/null || fail "the node exited during startup"
  [ "$(date +%s)" -lt "$deadline" ] || fail "not $want within ${timeout}s"
  sleep 0.5
done
ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "es-node: $nodes node(s) $want at $url in $((ms / 1000)).$(printf %03d $((ms % 1000)))s (pid $pid, log $logfile, data $home)" >&2
echo "$url"

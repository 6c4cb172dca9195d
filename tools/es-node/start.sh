#!/usr/bin/env bash
# Starts a local Elasticsearch node, or a cluster of N nodes each in its own JVM, in the background and
# prints the URL(s) on stdout once healthy; everything else goes to stderr. See README.md.
#
#   tools/es-node/start.sh [--nodes N] [--node I] [--port HTTP_PORT] [--transport-port PORT] [--heap SIZE]
#                          [--timeout SECONDS] [--wipe]
#
# Defaults: 1 node, http 9250 (node i of N listens on HTTP_PORT+i), transport HTTP_PORT+100, heap 512m a
# node, timeout 180 s. --node I starts only node I of the N (to bring a stopped or killed node back).
# Data lives in target/data/es-HTTP_PORT (ES_NODE_DATA to move it) and is kept across stop and start;
# --wipe deletes it first. Environment: ES_NODE_PORT, ES_NODE_NODES, ES_NODE_HEAP, ES_NODE_TIMEOUT set
# the same defaults; ES_JAVA_OPTS adds JVM options; JAVA_HOME picks the JDK (17+).
# Nodes this script already started and that answer are left running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

nodes=${ES_NODE_NODES:-1}
port=${ES_NODE_PORT:-9250}
tport=""
only=""
wipe=0
heap=${ES_NODE_HEAP:-512m}
timeout=${ES_NODE_TIMEOUT:-180}
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --node) only=$2; shift 2 ;;
    --port|--http-port) port=$2; shift 2 ;;
    --transport-port) tport=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --wipe) wipe=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" >&2; exit 0 ;;
    *) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$tport" ] || tport=$((port + 100))
if [ -n "$only" ] && { [ "$only" -lt 0 ] || [ "$only" -ge "$nodes" ]; }; then
  echo "start.sh: --node must be between 0 and $((nodes - 1))" >&2; exit 2
fi
want=yellow
[ "$nodes" -gt 1 ] && want=green
[ -n "$only" ] && want=yellow  # a node rejoining: its replicas recover in the background

run="$here/target/run"
data=${ES_NODE_DATA:-$here/target/data}/es-$port
mkdir -p "$run"

is_our_node() {  # pid -> true if it is a live es-node JVM
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'township.esnode.EsNodeMain'
}
node_pid() {  # http port -> pid of our live node there, or nothing
  local pf="$run/es-$1.pid"
  [ -f "$pf" ] && is_our_node "$(cat "$pf")" && cat "$pf"
  return 0
}
healthy() {  # http port -> the cluster, asked at that node, has all N nodes and is $want
  curl -sf -o /dev/null --max-time 5 \
    "http://127.0.0.1:$1/_cluster/health?wait_for_status=$want&wait_for_nodes=$nodes&timeout=1s"
}

if [ -n "$only" ]; then members=("$only"); else members=($(seq 0 $((nodes - 1)))); fi
if [ "$wipe" = 1 ]; then
  for i in $(seq 0 $((nodes - 1))); do
    [ -z "$(node_pid $((port + i)))" ] || { echo "es-node: node $i (port $((port + i))) is running; stop it before --wipe" >&2; exit 1; }
  done
  rm -rf "$data"
fi

# Which of the wanted nodes need starting? (ours and answering: keep; ours and not answering: restart)
todo=()
for i in "${members[@]}"; do
  hp=$((port + i))
  pid=$(node_pid "$hp")
  if [ -n "$pid" ]; then
    if curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$hp/"; then
      echo "es-node: node $i already running on http://127.0.0.1:$hp (pid $pid)" >&2
      continue
    fi
    echo "es-node: pid $pid runs on port $hp but does not answer; stopping it" >&2
    bash "$here/stop.sh" --port "$hp" >&2 || true
  fi
  rm -f "$run/es-$hp.pid"
  port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for p in "$hp" $((tport + i)); do
    if port_busy "$p"; then
      echo "es-node: port $p on 127.0.0.1 is already in use (pick another with --port / --transport-port)" >&2
      exit 1
    fi
  done
  todo+=("$i")
done

urls() {
  local out=() i
  for i in "${members[@]}"; do out+=("http://127.0.0.1:$((port + i))"); done
  (IFS=,; echo "${out[*]}")
}
if [ ${#todo[@]} -eq 0 ] && healthy $((port + members[0])); then
  urls
  exit 0
fi

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

mkdir -p "$data"
echo "$nodes" >"$run/cluster-$port.nodes"
start_ns=$(date +%s%N)
started=()
for i in "${todo[@]}"; do
  hp=$((port + i))
  home="$data/node-$i"
  mkdir -p "$home/tmp"
  echo "$data" >"$run/es-$hp.home"
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
  "$java" "${jvm_opts[@]}" "${extra_opts[@]}" -cp "$jar:$here/target/lib/*" township.esnode.EsNodeMain \
    --nodes "$nodes" --only "$i" --http-port "$port" --transport-port "$tport" --home "$data" \
    </dev/null >"$run/es-$hp.log" 2>&1 &
  echo "$!" >"$run/es-$hp.pid"
  started+=("$i")
done

fail() {
  local i
  echo "es-node: $1" >&2
  for i in "${started[@]}"; do
    echo "--- last lines of $run/es-$((port + i)).log" >&2
    tail -n 30 "$run/es-$((port + i)).log" >&2 || true
    bash "$here/stop.sh" --port $((port + i)) >/dev/null 2>&1 || true
  done
  exit 1
}
deadline=$(( $(date +%s) + timeout ))
until healthy $((port + members[0])); do
  for i in "${started[@]}"; do
    kill -0 "$(cat "$run/es-$((port + i)).pid")" 2>/dev/null || fail "node $i exited during startup"
  done
  [ "$(date +%s)" -lt "$deadline" ] || fail "not $want with $nodes node(s) within ${timeout}s"
  sleep 0.5
done
ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "es-node: started node(s) ${started[*]} of $nodes, cluster $want, in $((ms / 1000)).$(printf %03d $((ms % 1000)))s" \
  "(logs $run/es-PORT.log, data $data)" >&2
urls

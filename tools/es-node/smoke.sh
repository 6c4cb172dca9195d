#!/usr/bin/env bash
# End-to-end check of tools/es-node with curl: a single node (whitespace-analyzed text, index, search,
# highlight, terms aggregation, GET /), then a 3-node cluster (3 shards x 1 replica goes green).
# Uses ports 19250.. / 19350.. so it does not disturb a node on the default port. Prints "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${SMOKE_PORT:-19250}
H=(-H 'Content-Type: application/json')
pass=0 fail=0
check() {  # name, command...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok   $name" >&2; else fail=$((fail + 1)); echo "FAIL $name" >&2; fi
}
has() { grep -q -- "$1" <<<"$2"; }
trap 'bash "$here/stop.sh" --port "$port" --wipe >/dev/null 2>&1' EXIT

# ---- one node -------------------------------------------------------------------------------
t0=$(date +%s%N)
url=$(bash "$here/start.sh" --port "$port" --wipe) || { echo "0 passed, 1 failed"; exit 1; }
echo "single node up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $url" >&2

out=$(curl -s "$url/")
check "GET / reports the version" has '"number" : "8\.\|"number":"8\.' "$out"
check "HEAD / answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' -I "$url/")" = 200
out=$(curl -s -XPUT "$url/smoke" "${H[@]}" -d '{"settings":{"number_of_shards":1,"number_of_replicas":0},
  "mappings":{"properties":{"name":{"type":"text","analyzer":"whitespace"},"list":{"type":"keyword"}}}}')
check "create index with a whitespace-analyzed field" has '"acknowledged":true' "$out"
curl -s -XPUT "$url/smoke/_doc/1" "${H[@]}" -d '{"name":"森林 防火 巡查","list":"basic"}' >/dev/null
out=$(curl -s -XPUT "$url/smoke/_doc/2?refresh=true" "${H[@]}" -d '{"name":"禁牧区 森林 巡查","list":"recovered"}')
check "index documents" has '"result":"created"' "$out"
out=$(curl -s "$url/smoke/_search" "${H[@]}" -d '{"query":{"match":{"name":"防火"}},
  "highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"fields":{"name":{}}},
  "aggs":{"lists":{"terms":{"field":"list"}}}}')
check "match query finds the one document" has '"total":{"value":1,' "$out"
check "highlight" has '森林 <mark>防火</mark> 巡查' "$out"
check "terms aggregation" has '"buckets":\[{"key":"basic","doc_count":1}\]' "$out"
out=$(curl -s "$url/smoke/_search" "${H[@]}" -d '{"size":0,"query":{"match":{"name":"森林"}},"aggs":{"lists":{"terms":{"field":"list"}}}}')
check "terms aggregation over two buckets" has '"key":"recovered","doc_count":1' "$out"
out=$(curl -s "$url/smoke/_analyze" "${H[@]}" -d '{"tokenizer":"whitespace","filter":["lowercase"],"text":"GPS 定位"}')
check "whitespace tokenizer + lowercase filter" has '"token":"gps"' "$out"
bash "$here/stop.sh" --port "$port" --wipe >/dev/null 2>&1

# ---- three nodes ----------------------------------------------------------------------------
t0=$(date +%s%N)
urls=$(bash "$here/start.sh" --nodes 3 --port "$port" --wipe) || { echo "$pass passed, $((fail + 1)) failed"; exit 1; }
url=${urls%%,*}
echo "3 nodes up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $url" >&2
out=$(curl -s "$url/_cluster/health")
check "three nodes joined" has '"number_of_nodes":3' "$out"
out=$(curl -s -XPUT "$url/smoke3" "${H[@]}" -d '{"settings":{"number_of_shards":3,"number_of_replicas":1},
  "mappings":{"properties":{"name":{"type":"text","analyzer":"whitespace"}}}}')
check "create 3x1 index" has '"acknowledged":true' "$out"
out=$(curl -s "$url/_cluster/health/smoke3?wait_for_status=green&timeout=60s")
check "3x1 index goes green" has '"status":"green"' "$out"
check "6 active shards" has '"active_shards":6' "$out"
curl -s -XPUT "$url/smoke3/_doc/1?refresh=true" "${H[@]}" -d '{"name":"山林 着火"}' >/dev/null
out=$(curl -s "http://127.0.0.1:$((port + 2))/smoke3/_search" "${H[@]}" -d '{"query":{"match":{"name":"着火"}}}')
check "search through the third node" has '"total":{"value":1,' "$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

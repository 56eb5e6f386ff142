#!/usr/bin/env bash
# kill9-stall.sh [RUNS] [node JVM options, replacing cluster start's defaults]: how long writes stall when the leader is SIGKILLed.
# Per run: a 3 voter + 1 learner `raftkv cluster start`, 64 writers (`raftkv bench`, 6 s warm-up,
# 16 s recorded), `kill -9` of the leader 12 s after the bench starts; prints the slowest write.
set -uo pipefail
RUNS=${1:-4}; shift || true; JVM="$*"
RK="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for i in $(seq 1 "$RUNS"); do
  D=$(mktemp -d /tmp/kill9-XXXX)
  "$RK/bin/raftkv" cluster start --dir "$D" --voters 3 --learners 1 ${JVM:+--jvm-options "$JVM"} > /dev/null || exit 1
  pid_of() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/cluster.json")); print([n["pid"] for n in d["nodes"] if n["id"]==sys.argv[2]][0])' "$D" "$1"; }
  LEADER=$("$RK/bin/raftkv" status --cluster "$D" --json | python3 -c 'import sys,json; print([n["id"] for n in json.load(sys.stdin)["nodes"] if n.get("role")=="LEADER"][0])')
  "$RK/bin/raftkv" bench --cluster "$D" --duration 16s --warmup 6s --clients 64 --read-ratio 0 \
      --value-size 256 --json "$D/bench.json" > "$D/bench.out" 2>&1 &
  BENCH=$!; sleep 12; kill -9 "$(pid_of "$LEADER")"; wait $BENCH
  python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["writes"]; print("run", sys.argv[2], "slowest write ms", w["latencyMs"]["max"], "writes/s", w["throughputOpsPerSec"], "errors", json.load(open(sys.argv[1]))["errors"])' "$D/bench.json" "$i"
  "$RK/bin/raftkv" cluster stop --dir "$D" > /dev/null 2>&1; rm -rf "$D"
done

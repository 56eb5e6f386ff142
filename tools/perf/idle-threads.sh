#!/usr/bin/env bash
# idle-threads.sh [SECONDS]: CPU of each node's threads while a cluster idles.
# A 3 voter + 1 learner `raftkv cluster start`, 10 s of 64 writers, 5 s pause, then per-thread
# CPU (utime+stime from /proc) over SECONDS (default 30) of no load, by thread name.
set -uo pipefail
SECS=${1:-30}
RK="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
D=$(mktemp -d /tmp/idle-XXXX)
trap '"$RK/bin/raftkv" cluster stop --dir "$D" >/dev/null 2>&1; rm -rf "$D"' EXIT
"$RK/bin/raftkv" cluster start --dir "$D" --voters 3 --learners 1 > /dev/null || exit 1
"$RK/bin/raftkv" bench --cluster "$D" --duration 10s --warmup 0s --clients 64 --read-ratio 0 > /dev/null 2>&1
sleep 5
python3 - "$D" "$SECS" <<'PY'
import collections, json, os, re, sys, time
nodes = [(n["id"], n["pid"]) for n in json.load(open(sys.argv[1] + "/cluster.json"))["nodes"]]
secs = float(sys.argv[2]); tick = os.sysconf("SC_CLK_TCK")
def threads(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[(tid, name)] = int(fields[11]) + int(fields[12])
    return out
before = {node: threads(pid) for node, pid in nodes}
time.sleep(secs)
for node, pid in nodes:
    by_name = collections.Counter()
    for key, ticks in threads(pid).items():
        if ticks > before[node].get(key, 0):
            by_name[re.sub(r"\d+", "#", key[1])] += ticks - before[node].get(key, 0)
    total = sum(by_name.values())
    print(f"{node}: {total * 1000 / tick / secs:.1f} ms of CPU per second")
    for name, ticks in by_name.most_common(8):
        print(f"   {ticks * 1000 / tick / secs:6.1f} ms/s  {name}")
PY

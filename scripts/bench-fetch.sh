#!/usr/bin/env bash
# What `vhm fetch stopncii` costs per record: a scripted StopNCII API (the tests'
# build/tests/vhm_fake_exchange, on loopback) serves N ImagePDQ records (default
# 100000) in pages of 800, as FetchHashes pages them; timed are the first fetch into an
# empty bank (every record added), a re-read of the whole list (--from-start: every
# record compared with the bank and unchanged) and a page withdrawing 800 of them.
# Needs python3 (to write the pages). Prints one JSON line per run.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
VHM=${VHM_BINARY:-build/vhm}
FAKE=build/tests/vhm_fake_exchange
[ -x "$FAKE" ] || { echo "bench-fetch: build the tests first ($FAKE)" >&2; exit 2; }
D=$(mktemp -d)
trap 'kill $SPID 2>/dev/null || true; rm -rf "$D"' EXIT
python3 - "$N" "$D" <<'PY'
import json, os, random, sys
n, d = int(sys.argv[1]), sys.argv[2]
random.seed(7)
hashes = ["%064x" % random.getrandbits(256) for _ in range(n)]
routes, pages = [], [hashes[i:i + 800] for i in range(0, n, 800)]
def rec(h, status="Active"):
    return {"signalType": "ImagePDQ", "hashValue": h, "hashStatus": status, "caseNumbers": {"C-" + h[:6]: status}}
for i, p in enumerate(pages):
    last = i + 1 == len(pages)
    body = {"count": len(p), "hashRecords": [rec(h) for h in p], "nextPageToken": "" if last else "p%d" % (i + 1),
            "hasMoreRecords": not last, "nextSetTimestamp": 1700000000 if last else 0}
    open(os.path.join(d, "p%d.json" % i), "w").write(json.dumps(body))
    q = {"startTimestamp": "10"}
    # Sent as octet-stream: cpp-httplib gzips JSON for a client that accepts it, and its
    # gzip (150 ms a page) would be what this measures instead of vhm.
    r = {"path": "/v1/FetchHashes", "query": q,
         "responses": [{"status": 200, "body_file": "p%d.json" % i, "content_type": "application/octet-stream"}]}
    if i == 0: r["absent"] = ["nextPageToken"]
    else: q["nextPageToken"] = "p%d" % i
    routes.append(r)
withdraw = {"count": 800, "hashRecords": [rec(h, "Withdrawn") for h in hashes[:800]], "nextPageToken": "",
            "hasMoreRecords": False, "nextSetTimestamp": 1700000001}
open(os.path.join(d, "w.json"), "w").write(json.dumps(withdraw))
routes.append({"path": "/v1/FetchHashes", "query": {"startTimestamp": "1700000000"},
               "responses": [{"status": 200, "body_file": "w.json", "content_type": "application/octet-stream"}]})
json.dump({"routes": routes}, open(os.path.join(d, "script.json"), "w"))
PY
"$FAKE" "$D/script.json" > "$D/server.log" &
SPID=$!
while ! grep -q '^listening' "$D/server.log" 2>/dev/null; do sleep 0.05; done
PORT=$(awk '/^listening/ {print $2}' "$D/server.log")
printf '{"stopncii": {"base_url": "http://127.0.0.1:%s/v1", "subscription_key": "s", "fetch_key": "f"}}' "$PORT" > "$D/c.json"
$VHM bank create "$D/bank" > /dev/null
# Each run's own summary says its time ("seconds").
run() { $VHM fetch stopncii --bank "$D/bank" --config "$D/c.json" "$@"; }
echo "first fetch of $N records (all added):"; run
echo "the whole list again (--from-start: all unchanged):"; run --from-start
echo "one page withdrawing 800:"; run

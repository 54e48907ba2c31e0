#!/usr/bin/env bash
# Jobs/s of Redis Streams workers: 50 key-frame path jobs (the corpus videos in turn)
# through `vhm serve --redis --no-http --workers N`, N = 1 and 2, against a bank of two
# corpus videos, on a private redis-server. Timed from the first XADD to the 50th result.
# Needs redis-server and redis-cli; HASH_THREADS=1 sets the daemon's --hash-threads.
set -euo pipefail
cd "$(dirname "$0")/.."
VHM=build/vhm
V=${VHM_CORPUS:-../shared/corpus}/threatexchange/tmk/sample-videos
HT=${HASH_THREADS:-0}  # the daemon's --hash-threads (0: its default)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
RPID=$!
trap 'kill $RPID; rm -rf "$(dirname "$BANK")"' EXIT
sleep 0.5
R="redis-cli -p $PORT"
BANK=$(mktemp -d)/bank
rm -rf $BANK; $VHM bank create $BANK >/dev/null; $VHM bank add $BANK $V/doorknob-hd-no-bar.mp4 $V/chair-orig-22-sd-bar.mp4 >/dev/null 2>&1
mapfile -t vids < <(ls $V/*.mp4)
for N in 1 2; do
  S=bench$N
  $R XGROUP CREATE $S:jobs vhm 0 MKSTREAM >/dev/null
  $VHM serve --bank $BANK --redis redis://127.0.0.1:$PORT --no-http --workers $N --hash-threads $HT --allow-paths "$V" --stream $S:jobs --results $S:results --result-prefix $S:result: 2>/dev/null &
  DPID=$!
  sleep 1
  t0=$(date +%s.%N)
  for i in $(seq 0 49); do echo "XADD $S:jobs * job j$i path ${vids[$((i % ${#vids[@]}))]}"; done | $R >/dev/null
  while [ "$($R XLEN $S:results)" -lt 50 ]; do sleep 0.02; done
  t1=$(date +%s.%N)
  kill -TERM $DPID; wait $DPID || true
  errs=$($R XRANGE $S:results - + | grep -c '"error"' || true)
  python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'workers=$N: 50 jobs in {t:.2f} s -> {50/t:.1f} jobs/s (errors: $errs)')" "$t0" "$t1"
done

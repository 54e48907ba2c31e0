#!/usr/bin/env bash
# Sets up, builds and runs vhm's main job on a built-in demo: a "reported" video goes
# into a hash bank; uploads (a re-encoded clip, a pillarboxed copy, an unrelated video)
# are matched against it; the content is withdrawn and the next match no longer finds
# it. The demo videos are made here with the ffmpeg CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
demo=demo-out
rm -rf "$demo"
mkdir -p "$demo/uploads"
ff() { ffmpeg -nostdin -v error -y "$@"; }

echo "== making demo videos with ffmpeg"
ff -f lavfi -i "life=size=640x360:rate=25:ratio=0.3:seed=7:mold=10:life_color=#c0ff80:death_color=#102040,format=yuv420p" \
   -t 12 -c:v libx264 -crf 20 "$demo/reported.mp4"
# A re-upload: 3 s to 10 s, downscaled, heavily recompressed.
ff -ss 3 -t 7 -i "$demo/reported.mp4" -vf scale=320:180 -c:v libx264 -crf 36 "$demo/uploads/reupload-small.mp4"
# A pillarboxed copy (black bars left and right), as when a clip is fitted to 4:3.
ff -i "$demo/reported.mp4" -vf "scale=480:270,pad=640:270:80:0:black" -c:v libx264 -crf 28 "$demo/uploads/pillarboxed.mp4"
# Unrelated content.
ff -f lavfi -i "mandelbrot=size=640x360:rate=25" -t 8 -c:v libx264 -crf 24 "$demo/uploads/unrelated.mp4"

echo
echo "== vhm hash: the reported video's vPDQ hashes (frame,quality,pdq_hex,seconds; first 3 of each)"
build/vhm hash -q --format vpdq --sample 1s --out-dir "$demo/hashes" "$demo/reported.mp4" "$demo/uploads"
for f in "$demo"/hashes/*.txt "$demo"/hashes/*/*.txt; do [ -f "$f" ] && { echo "$f"; head -3 "$f"; }; done

echo
echo "== vhm bank: a bank holding the reported video (its vPDQ, its file's MD5 and its TMK+PDQF)"
build/vhm bank create "$demo/bank"
build/vhm bank add "$demo/bank" "$demo/reported.mp4" --signals vpdq,md5,tmk --external-id case-1 --label demo
build/vhm bank stats "$demo/bank"

echo
# The uploads are short clips with a single key frame each (x264 puts one every 10 s),
# so the default key-frame sampling would rest a verdict on one frame: the heavily
# recompressed re-upload's is 34 bits from its original, just past 31. One frame a
# second gives the verdict seven frames to stand on (docs/MATCHING.md, --sample).
echo "== vhm match: uploads against the bank (--sample 1s: short clips, one key frame each)"
build/vhm match -q --sample 1s --format table --bank "$demo/bank" "$demo/uploads"
build/vhm match -q --sample 1s --bank "$demo/bank" "$demo/uploads" > "$demo/verdicts.jsonl"
echo "(JSON Lines verdicts in $demo/verdicts.jsonl)"

echo
echo "== consent withdrawn: remove case-1; the very next match no longer finds it"
build/vhm bank remove "$demo/bank" --external-id case-1 --reason "consent withdrawn"
build/vhm match -q --sample 1s --format table --bank "$demo/bank" "$demo/uploads"
echo
echo "demo outputs are in $demo/"

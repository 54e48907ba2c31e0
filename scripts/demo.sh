#!/usr/bin/env bash
# Sets up, builds and runs vhm's main job on a built-in demo: PDQ hashes of images,
# their rotations and flips, and the distances that show a match. The demo images are
# made here with the ffmpeg CLI (or taken from ../shared/corpus when present).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
demo=demo-out
mkdir -p "$demo"

corpus=../shared/corpus/threatexchange/pdq/data/reg-test-input/dih
if [ -d "$corpus" ]; then
  echo "== demo images from the shared corpus"
  cp "$corpus/bridge-1-original.jpg" "$demo/original.jpg"
  cp "$corpus/bridge-5-flipx.jpg" "$demo/flipped.jpg"
else
  echo "== demo images made with ffmpeg"
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=1" -frames:v 1 "$demo/original.jpg"
  ffmpeg -v error -y -i "$demo/original.jpg" -vf vflip "$demo/flipped.jpg"
fi
ffmpeg -v error -y -i "$demo/original.jpg" -vf "scale=iw/2:ih/2" -q:v 12 "$demo/small-recompressed.jpg"
ffmpeg -v error -y -i "$demo/original.jpg" -vf "hue=s=0" "$demo/grey.png"
ffmpeg -v error -y -f lavfi -i "mandelbrot=size=640x480" -frames:v 1 "$demo/unrelated.webp"

echo
echo "== vhm hash (pdq_hex,quality,path — the reference tool's format)"
build/vhm hash "$demo/original.jpg" "$demo/small-recompressed.jpg" "$demo/grey.png" \
  "$demo/flipped.jpg" "$demo/unrelated.webp" | tee "$demo/hashes.csv"

echo
echo "== the eight dihedral variants of original.jpg (rotations and flips, from one DCT)"
build/vhm hash --dihedral --format jsonl "$demo/original.jpg" | tee "$demo/original-dihedral.jsonl"

echo
echo "== distance to original.jpg: plain, and best over its 8 variants (match: <= 31 of 256 bits)"
python3 - "$demo/original-dihedral.jsonl" "$demo/hashes.csv" <<'PY'
import json, sys
variants = json.loads(open(sys.argv[1]).readline())["dihedral"]
dist = lambda a, b: bin(int(a, 16) ^ int(b, 16)).count("1")
print(f"{'plain':>5} {'best':>5}  {'variant':<10}  verdict  path")
for line in open(sys.argv[2]):
    h, q, path = line.strip().split(",", 2)
    best = min(variants, key=lambda k: dist(variants[k], h))
    d0, d1 = dist(variants["original"], h), dist(variants[best], h)
    print(f"{d0:5d} {d1:5d}  {best:<10}  {'MATCH  ' if d1 <= 31 else 'no     '}  {path}")
PY
echo
echo "demo outputs are in $demo/"

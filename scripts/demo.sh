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
build/vhm hash "$demo"/*.jpg "$demo"/*.png "$demo"/*.webp | tee "$demo/hashes.csv"

echo
echo "== Hamming distance to original.jpg (a match is <= 31 of 256 bits)"
orig=$(head -1 "$demo/hashes.csv" | cut -d, -f1)
python3 - "$orig" "$demo/hashes.csv" <<'PY'
import sys
orig = int(sys.argv[1], 16)
for line in open(sys.argv[2]):
    h, q, path = line.strip().split(",", 2)
    d = bin(int(h, 16) ^ orig).count("1")
    print(f"{d:4d}  {'MATCH' if d <= 31 else '     '}  {path}")
PY

echo
echo "== the eight dihedral variants of original.jpg (flips and rotations, no re-decode)"
build/vhm hash --dihedral --format jsonl "$demo/original.jpg"
echo
echo "demo outputs are in $demo/"

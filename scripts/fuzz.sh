#!/usr/bin/env bash
# Fuzzes vhm's parsers of outside bytes with libFuzzer (docs/FUZZING.md).
#
#   scripts/fuzz.sh TARGET SECONDS   fuzz one target (tests/fuzz/fuzz_TARGET.cpp)
#   scripts/fuzz.sh all SECONDS      every target for SECONDS each, two at a time
#   scripts/fuzz.sh --ci [SECONDS]   CI: every target, SECONDS each (default 40), two at
#                                    a time; a finding fails unless it is one still open
#                                    under tests/fuzz/pending/TARGET (the same signature)
#   scripts/fuzz.sh --list           the targets
#   scripts/fuzz.sh --pending        which inputs under tests/fuzz/pending/ still fail
#   scripts/fuzz.sh --minimize TARGET FILE   a smaller input failing the same way
#
# Builds the libFuzzer binaries first when needed (scripts/sanitize.sh --build fuzz:
# clang, ASan+UBSan, into build-sanitize/ or $VHM_SANITIZE_BUILD). Everything it writes
# lies under BUILD/fuzz/: seeds/TARGET (made afresh each run from ../shared/corpus, the
# target's own seeds and tiny ffmpeg-made media), corpus/TARGET (what libFuzzer found
# worth keeping; kept across runs), crashes/TARGET (findings), logs/TARGET.log.
# Exit status: 0 no finding, 1 a finding (its file named), 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${VHM_SANITIZE_BUILD:-build-sanitize}
case $build in /*) ;; *) build=$root/$build ;; esac
corpus_dir=${VHM_CORPUS:-$root/../shared/corpus}
work=$build/fuzz
parallel=${VHM_FUZZ_PARALLEL:-2}
# Per input: longer than any sane input takes under ASan (a hang is a finding).
timeout_s=${VHM_FUZZ_TIMEOUT:-30}
# Memory: ASan's overhead fits in 2 GiB of RSS; one allocation over 1 GiB is a finding
# (the largest picture MediaLimits allows, 200 Mpx as RGB24, takes 600 MB), so that
# decompression bombs are found even where the machine could afford them.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024)
# libFuzzer saves an input slower than -report_slow_units (10 s by default) beside the
# crashes as slow-unit-*; under a loaded machine an upload decoded by the HTTP target
# took 17 s and failed the CI step although nothing was wrong. Only the timeout is a
# finding: slow units are reported from there up, which the timeout reports first.
limits+=(-report_slow_units="$timeout_s")
# VHM_FUZZ_KEEP_GOING=1: go on after a finding (libFuzzer's -fork=1 with crashes,
# timeouts and OOMs ignored), to collect every kind of finding in a long run; each is
# still saved under crashes/TARGET and still makes the exit status 1.
keep_going=()
[ "${VHM_FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)

# Sanitizer settings shared with scripts/sanitize.sh (tests/fuzz/sanitizer-env.sh).
source "$root/tests/fuzz/sanitizer-env.sh"
# One thread per fuzzer: two run side by side on two cores, and OpenMP's spinning
# workers would only make each slower.
export OMP_NUM_THREADS=1

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

list_targets() {
  for f in "$root"/tests/fuzz/fuzz_*.cpp; do
    f=${f##*/fuzz_}
    echo "${f%.cpp}"
  done
}

binary() { echo "$build/tests/fuzz/fuzz_$1"; }

build_fuzzers() {
  "$root/scripts/sanitize.sh" --build fuzz
}

# Tiny media in many containers and codecs (what FFmpeg and the image decoders parse),
# made once per build dir: small corpus images, the corpus's smallest video, and
# ffmpeg-made clips a few KB each.
make_media_seeds() {
  local dir=$work/media-seeds
  [ -f "$work/media-seeds.stamp" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  local pdq=$corpus_dir/threatexchange/pdq/data
  if [ -d "$pdq" ]; then
    for f in misc-images/small.jpg misc-images/wee.jpg bridge-mods/shrink-a-lot.jpg \
             reg-test-input/labelme-subset/q0003.jpg; do
      [ -f "$pdq/$f" ] && cp "$pdq/$f" "$dir/corpus-${f##*/}"
    done
    # The start of large images in modes the small ones lack (CMYK, alpha, 1-bit, WebP):
    # headers and first rows are what a decoder parses before it fails or succeeds.
    for f in CMYK.jpg 1.png LA.png P.png F.webp; do
      [ -f "$pdq/misc-images/modes/$f" ] && head -c 32768 "$pdq/misc-images/modes/$f" > "$dir/head-$f"
    done
  fi
  local video=$corpus_dir/threatexchange/tmk/sample-videos/test-padded-dimensions.mp4
  [ -f "$video" ] && cp "$video" "$dir/corpus-test-padded-dimensions.mp4"
  if command -v ffmpeg >/dev/null; then
    gen() {  # gen OUTPUT FFMPEG_ARGS... : 64x48 test pattern, 6 frames
      local out=$1
      shift
      ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=64x48:rate=10:duration=0.6 \
        "$@" "$dir/$out" || { rm -f "$dir/$out"; echo "fuzz: ffmpeg could not make $out (skipped)" >&2; }
    }
    gen h264.mp4 -c:v libx264 -pix_fmt yuv420p -bf 2 -g 3
    gen h264-444.mkv -c:v libx264 -pix_fmt yuv444p
    gen h264-10bit.mp4 -c:v libx264 -pix_fmt yuv420p10le
    gen hevc.mp4 -c:v libx265 -pix_fmt yuv420p -x265-params log-level=none
    gen vp8.webm -c:v libvpx -b:v 100k
    gen vp9.webm -c:v libvpx-vp9 -b:v 100k
    gen mpeg4-bframes.avi -c:v mpeg4 -bf 2 -vtag DX50
    gen mjpeg.avi -c:v mjpeg -pix_fmt yuvj422p
    gen mpeg2.ts -c:v mpeg2video
    gen flv1.flv -c:v flv
    gen theora.ogv -c:v libtheora
    gen ffv1-rgb.mkv -c:v ffv1 -pix_fmt bgr0
    gen gray.nut -c:v rawvideo -pix_fmt gray
    gen clip.y4m -pix_fmt yuv420p
    gen anim.gif
    gen still.png -frames:v 1
    gen still-rgba.png -frames:v 1 -pix_fmt rgba
    gen still-gray16.png -frames:v 1 -pix_fmt gray16be
    gen still-pal8.png -frames:v 1 -pix_fmt pal8
    gen still-mono.png -frames:v 1 -pix_fmt monob
    gen still-444.jpg -frames:v 1 -pix_fmt yuvj444p
    gen still-gray.jpg -frames:v 1 -pix_fmt gray
    gen still.webp -frames:v 1
    gen still.bmp -frames:v 1
    gen still.tiff -frames:v 1
  else
    echo "fuzz: no ffmpeg: media seeds are corpus files only" >&2
  fi
  touch "$work/media-seeds.stamp"
}

# BUILD/fuzz/seeds/TARGET from the target file's "// seeds:" lines and its own seeds
# (VHM_FUZZ_SEED_DIR, target_support.h export_seeds), and BUILD/fuzz/dicts/TARGET.dict
# from its "// dict:" lines. Seed lines:
#   // seeds: corpus GLOB      files of ../shared/corpus matching GLOB
#   // seeds: media [PREFIX]   the media seeds, each after PREFIX (a printf %b string)
make_seeds() {
  local t=$1 src=$root/tests/fuzz/fuzz_$1.cpp dir=$work/seeds/$1
  rm -rf "$dir"
  mkdir -p "$dir" "$work/dicts"
  local kind rest f n=0
  while read -r kind rest; do
    case $kind in
      corpus)
        [ -d "$corpus_dir" ] || continue
        # shellcheck disable=SC2086 # $rest is a glob
        for f in "$corpus_dir"/$rest; do
          [ -f "$f" ] && cp "$f" "$dir/corpus-$((n++))-${f##*/}"
        done
        ;;
      media)
        make_media_seeds
        for f in "$work"/media-seeds/*; do
          { printf '%b' "$rest"; cat "$f"; } > "$dir/media-$((n++))-${f##*/}"
        done
        ;;
      *) echo "fuzz: $src: unknown seed kind '$kind'" >&2; return 2 ;;
    esac
  done < <(sed -n 's|^// seeds: ||p' "$src")
  VHM_FUZZ_SEED_DIR=$dir "$(binary "$t")" -runs=0 > "$work/logs/$t.seed.log" 2>&1 || {
    echo "fuzz: $t failed while writing its own seeds (see $work/logs/$t.seed.log)" >&2
    return 1
  }
  sed -n 's|^// dict: ||p' "$src" > "$work/dicts/$t.dict"
}

# Fuzzes TARGET for SECONDS; 0 no finding (or, with KNOWN, a file of signatures, only
# a finding with one of them), 1 a finding (saved under crashes/TARGET).
fuzz_one() {
  local t=$1 secs=$2 known=${3:-} bin
  bin=$(binary "$t")
  mkdir -p "$work/corpus/$t" "$work/crashes/$t" "$work/logs"
  make_seeds "$t" || return 1
  local dict=()
  [ -s "$work/dicts/$t.dict" ] && dict=(-dict="$work/dicts/$t.dict")
  local rc=0 before after
  before=$(find "$work/crashes/$t" -type f | wc -l)
  rm -f "$work/logs/$t.oracle.log"
  # shellcheck disable=SC2086 # VHM_FUZZ_ARGS: extra libFuzzer flags, split on spaces
  VHM_FUZZ_ORACLE_LOG=$work/logs/$t.oracle.log "$bin" -max_total_time="$secs" -timeout="$timeout_s" "${limits[@]}" -print_final_stats=1 \
    -artifact_prefix="$work/crashes/$t/" "${dict[@]}" "${keep_going[@]}" ${VHM_FUZZ_ARGS:-} \
    "$work/corpus/$t" "$work/seeds/$t" > "$work/logs/$t.log" 2>&1 || rc=$?
  after=$(find "$work/crashes/$t" -type f | wc -l)
  # Fork mode exits 0 after ignored findings: the new files say there were some.
  [ "$rc" -eq 0 ] && [ "$after" -gt "$before" ] && rc=1
  local note=""
  if [ "$rc" -ne 0 ] && [ -n "$known" ] && grep -qxF -- "$(signature "$work/logs/$t.log")" "$known"; then
    note="known (a pending finding's signature: not failing)"
  fi
  summary "$t" "$rc" "$note"
  [ "$rc" -eq 0 ] || [ -n "$note" ]
}

# A finding in one line, without addresses, numbers, quoted input or parenthesised
# detail (binary paths, build ids): what tells a new finding from one already pending.
# The exception's what(), else the oracle's message, else a failed assert(), else the
# sanitizer's or libFuzzer's SUMMARY.
signature() {
  local line
  line=$(grep -m1 -E '^  what\(\): ' "$1" || grep -m1 -E '==vhm-fuzz== oracle failed' "$1" ||
         grep -m1 -E 'Assertion .* failed' "$1" || grep -m1 -E '^SUMMARY: ' "$1" || echo "no report")
  echo "$line" | sed -E "s/\([^)]*\)//g; s/0x[0-9a-f]+//g; s/'[^']*'//g; s/[0-9]+//g; s/  +/ /g"
}

# One line per run: executions, exec/s, coverage and corpus, and the finding if any.
summary() {
  local t=$1 rc=$2 note=${3:-} log=$work/logs/$1.log
  local execs rate status finding=""
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  status=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || true)
  if [ ${#keep_going[@]} -gt 0 ]; then  # fork mode: "#N: cov: C ft: F corp: K exec/s E ... time: Ts"
    local last
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
    execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
    local secs_run
    secs_run=$(echo "$last" | sed -nE 's/.* time: ([0-9]+)s.*/\1/p')
    [ -n "$execs" ] && [ "${secs_run:-0}" -gt 0 ] && rate=$((execs / secs_run))
    status="$(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+') $(echo "$last" | grep -oE 'oom/timeout/crash: [0-9/]+')"
    [ "$rc" -ne 0 ] && { summary_findings "$t"; return; }
  fi
  if [ "$rc" -ne 0 ]; then
    finding="FINDING ${note:-(new)}: $(signature "$log"); input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1)"
  fi
  printf 'fuzz %-12s %9s execs %6s/s  %-40s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${status:-}" \
    "${finding:-no finding}"
}

# Fork mode: one line per finding saved, with its signature (the run's log interleaves
# many).
summary_findings() {
  local t=$1 f log=$work/logs/$1.replay.log
  printf 'fuzz %-12s %9s execs %6s/s  %-40s findings:\n' "$t" "${execs:-?}" "${rate:-?}" "${status:-}"
  for f in "$work/crashes/$t"/*; do
    [ -s "$f" ] || continue
    if "$(binary "$t")" -runs=1 -timeout="$timeout_s" "${limits[@]}" "$f" > "$log" 2>&1; then
      printf '  %s  passes when run alone (it needed the state earlier inputs left)\n' "${f##*/}"
    else
      printf '  %s  %s\n' "${f##*/}" "$(signature "$log")"
    fi
  done
  if [ -s "$work/logs/$t.oracle.log" ]; then
    echo "  oracle messages of the run (logs/$t.oracle.log), by count:"
    sort "$work/logs/$t.oracle.log" | uniq -c | sort -rn | head -5 | cut -c1-200 | sed 's/^/    /'
  fi
}

# The pending inputs of TARGET that still fail, one "FILE<TAB>SIGNATURE" a line.
still_failing() {
  local t=$1 f bin log
  bin=$(binary "$t")
  [ -d "$root/tests/fuzz/pending/$t" ] || return 0
  mkdir -p "$work/logs"
  log=$work/logs/$t.pending.log
  for f in "$root/tests/fuzz/pending/$t"/*; do
    [ -f "$f" ] || continue
    "$bin" -runs=1 -timeout="$timeout_s" "${limits[@]}" "$f" > "$log" 2>&1 ||
      printf '%s\t%s\n' "${f#"$root"/}" "$(signature "$log")"
  done
}

has_pending() { compgen -G "$root/tests/fuzz/pending/$1/*" > /dev/null; }

# Runs fuzz_one over the targets, $parallel at a time; 1 when any had a finding not
# known (known: a directory of TARGET.sigs files, or empty).
fuzz_many() {
  local secs=$1 known=$2
  shift 2
  local t running=0 failed=0
  mkdir -p "$work/logs"
  make_media_seeds  # once, before the targets that use them run side by side
  for t in "$@"; do
    if [ -n "$known" ] && [ -s "$known/$t.sigs" ]; then
      fuzz_one "$t" "$secs" "$known/$t.sigs" &
    else
      fuzz_one "$t" "$secs" &
    fi
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
  done
  while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  return $failed
}

ci() {
  local secs=${1:-40}
  build_fuzzers
  local t open known=$work/known
  rm -rf "$known"
  mkdir -p "$known"
  for t in $(list_targets); do
    has_pending "$t" || continue
    open=$(still_failing "$t")
    if [ -n "$open" ]; then
      echo "fuzz $t: known findings still open (tests/fuzz/FINDINGS.md); the same signature will not fail:"
      echo "$open" | sed 's/^/  /'
      echo "$open" | cut -f2 > "$known/$t.sigs"
    else
      echo "fuzz $t: every pending input passes now: move them to tests/fuzz/regressions/$t/ (FINDINGS.md)"
    fi
  done
  local started=$SECONDS rc=0
  # shellcheck disable=SC2046
  fuzz_many "$secs" "$known" $(list_targets) || rc=1
  echo "fuzz: $(list_targets | wc -l) targets, ${secs}s each, $((SECONDS - started))s in all"
  if [ $rc -ne 0 ]; then
    echo "fuzz: FINDINGS under $work/crashes/: reproduce with $build/tests/fuzz/fuzz_TARGET FILE;" \
         "docs/FUZZING.md says how one becomes a regression input"
  fi
  return $rc
}

[ $# -ge 1 ] || usage
case $1 in
  --list) list_targets ;;
  --ci) shift; ci "$@" ;;
  --pending)
    build_fuzzers
    for t in $(list_targets); do
      has_pending "$t" || continue
      out=$(still_failing "$t")
      if [ -n "$out" ]; then
        echo "$t: still failing:"
        echo "$out" | sed 's/^/  /'
      else
        echo "$t: every pending input passes now"
      fi
    done
    ;;
  --minimize)
    [ $# -eq 3 ] || usage
    build_fuzzers
    out=$work/minimized/$2-$(basename "$3")
    mkdir -p "$work/minimized"
    "$(binary "$2")" -minimize_crash=1 -max_total_time=120 -timeout="$timeout_s" -exact_artifact_path="$out" "$3" || true
    echo "fuzz: minimized input: $out"
    ;;
  -h|--help) usage ;;
  *)
    if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then usage; fi
    build_fuzzers
    if [ "$1" = all ]; then
      # shellcheck disable=SC2046
      fuzz_many "$2" "" $(list_targets)
    else
      [ -f "$root/tests/fuzz/fuzz_$1.cpp" ] || { echo "fuzz: no target '$1' (scripts/fuzz.sh --list)" >&2; exit 2; }
      fuzz_one "$1" "$2"
    fi
    ;;
esac

#!/bin/bash
# npm run fuzz: builds the libFuzzer targets with Debian's clang (ASan and UBSan on) and runs
# each for FUZZ_SECONDS (default 60): the tar reader (fuzz/tar.cc) and the reference/digest
# parser (fuzz/reference.cc). Seeds are made fresh by fuzz/seeds.sh; the corpora grow in
# FUZZ_WORK (default /tmp/gocker-fuzz) and are kept between runs. A crash is saved there as
# tar-crash-* or reference-crash-*; make it a test in test/integration/fuzz-regressions.test.ts
# (tar) or test/unit/reference-fuzz.test.ts (references).
# Needs: clang-14, libfuzzer-14-dev, libclang-rt-14-dev (Debian 12), GNU tar, attr, and `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
WORK=${FUZZ_WORK:-/tmp/gocker-fuzz}
CXX=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}
mkdir -p "$WORK/tar-corpus" "$WORK/reference-corpus" "$WORK/tmp"

FLAGS=(-std=c++17 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
echo "== building fuzz/tar.cc and fuzz/reference.cc with $CXX"
"$CXX" "${FLAGS[@]}" fuzz/tar.cc native/layer/extract.cc -o "$WORK/fuzz-tar"
"$CXX" "${FLAGS[@]}" fuzz/reference.cc native/name/reference.cc -o "$WORK/fuzz-reference"

echo "== seeds"
fuzz/seeds.sh "$WORK/seeds"

# Extraction writes: into its own tmpfs when we may mount one (root), else into WORK/tmp.
tmp="$WORK/tmp"
mounted=
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=512m,mode=0700 gocker-fuzz "$tmp" 2>/dev/null; then mounted=1; fi
cleanup() { if [ -n "$mounted" ]; then umount -l "$tmp"; fi; }
trap cleanup EXIT

status=0
echo "== tar reader, ${SECONDS_EACH}s"
FUZZ_TMPDIR="$tmp" "$WORK/fuzz-tar" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$WORK/tar-" -print_final_stats=1 "$WORK/tar-corpus" "$WORK/seeds/tar" || status=1

echo "== reference/digest parser, ${SECONDS_EACH}s"
"$WORK/fuzz-reference" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict=fuzz/reference.dict -artifact_prefix="$WORK/reference-" -print_final_stats=1 \
  "$WORK/reference-corpus" "$WORK/seeds/reference" || status=1

ls "$WORK"/tar-crash-* "$WORK"/tar-leak-* "$WORK"/tar-timeout-* "$WORK"/tar-oom-* "$WORK"/reference-crash-* "$WORK"/reference-leak-* "$WORK"/reference-timeout-* "$WORK"/reference-oom-* 2>/dev/null && status=1
exit $status

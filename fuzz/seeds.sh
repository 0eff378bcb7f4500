#!/bin/bash
# Seed corpora for the fuzzers, made by real tools: GNU tar archives in every format the
# reader knows (ustar, GNU long names, PAX, the three GNU sparse formats and the old GNU
# one), with hardlinks, symlinks, devices, xattrs and whiteouts; and image references (with
# non-ASCII upper case and bytes that are not UTF-8 among them).
# Each tar seed starts with one byte that fuzz/tar.cc uses to pick the whiteout mode.
set -euo pipefail
out=$1
rm -rf "$out"
mkdir -p "$out/tar" "$out/reference"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cd "$src"
mkdir -p t/etc t/usr/lib "t/$(printf 'l%.0s' {1..120})/$(printf 'm%.0s' {1..60})" t/a/b/c
echo hello > t/etc/file
ln t/etc/file t/etc/hard
ln -s ../etc/file t/usr/lib/link
ln -s / t/abs
echo long > "t/$(printf 'l%.0s' {1..120})/$(printf 'm%.0s' {1..60})/$(printf 'n%.0s' {1..90})"
: > t/a/.wh.gone
: > t/a/b/.wh..wh..opq
mkfifo t/fifo
setfattr -n user.note -v hi t/etc/file 2>/dev/null || true
truncate -s 1M t/sparse && printf 'x' | dd of=t/sparse bs=1 seek=4096 conv=notrunc status=none && printf 'y' | dd of=t/sparse bs=1 seek=700000 conv=notrunc status=none
i=0
emit() {  # emit MODE ARCHIVE
  { printf "\\x$1"; cat "$2"; } > "$out/tar/seed-$i"
  i=$((i + 1))
}
for fmt in ustar gnu pax; do
  tar --format=$fmt -cf x.tar -C t etc usr abs fifo a 2>/dev/null || true
  emit 00 x.tar; emit 01 x.tar
done
tar --format=gnu -cf x.tar -C t . && emit 00 x.tar
tar --format=posix --xattrs -cf x.tar -C t . && emit 01 x.tar
tar --sparse --format=gnu -cf x.tar -C t sparse && emit 00 x.tar
for v in 0.0 0.1 1.0; do tar --sparse --format=posix --sparse-version=$v -cf x.tar -C t sparse && emit 00 x.tar; done
tar --format=gnu -czf x.tgz -C t etc && emit 00 x.tgz   # not a tar: the reader must say so
cd "$out/reference"
n=0
for r in alpine alpine:3.19 library/alpine docker.io/library/alpine:latest index.docker.io/user/app \
  localhost/app localhost:5000/a/b:tag 127.0.0.1:5000/x/y/z:v1.2-rc_3 'host:5000/a/b:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' \
  'alpine@sha512:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' \
  'a@sha384:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f' \
  'sha256:../../etc/passwd' '[::1]:5000/app:tag' 'UPPER/case' 'a:b:c' '' docker.io/a.b/c 'Éx/y' 'İ.com/x' \
  "x:$(printf '\xe2\x84\xaa')" 'a__b/c-d.e' "$(printf 'a\xff\xfe/b')"; do
  printf '%s' "$r" > "ref-$n"
  n=$((n + 1))
done

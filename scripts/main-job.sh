#!/usr/bin/env bash
# README's main job, on a Debian 12 machine as it comes (Node 20, build-essential, python3,
# zlib1g-dev), as root: installs the Debian packages the build links against and the one the
# image is made from, builds gocker, makes an image from Debian's busybox-static (no registry
# or Docker Hub needed), and runs a real container in it with a 64 MiB memory limit.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "main-job: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root: containers need namespaces, mounts and cgroups"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null ||
  fail "Node.js >= 20 is required (found $(node --version 2>&1 || echo none))"

# What the build links against (native/preflight.js names the same), what the default network
# uses, and the image's source.
# iptables: the default bridge network's NAT (for the user's containers after this one).
PACKAGES=(build-essential python3 zlib1g-dev libzstd-dev libseccomp-dev libmnl-dev nlohmann-json3-dev iptables busybox-static)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing packages: ${missing[*]} (and no apt-get to install them)"
  echo "main-job: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
gocker() { node dist/cli/gocker.js "$@"; }

# An image made from busybox-static: /bin/busybox and a link per applet, as `busybox --install`.
if ! gocker image inspect busybox:main-job >/dev/null 2>&1; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev}
  chmod 1777 "$rootfs/tmp"
  install -m 0755 /bin/busybox "$rootfs/bin/busybox"
  chroot "$rootfs" /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\n' > "$rootfs/etc/group"
  tar --numeric-owner -C "$rootfs" -cf - . | gocker import -c 'CMD ["sh"]' - busybox:main-job
fi

# The container: its own pid, mount, uts and network namespaces, overlay root, and a memory
# cgroup it cannot grow past. --network none: the default bridge would stay on the host after
# it (as docker0 does), and the main job leaves nothing behind but its image.
gocker run --rm --network none --memory 64m busybox:main-job sh -c '
  echo "hello from $(hostname), pid $$ in its own namespace"
  limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
  echo "memory limit: $limit bytes"'

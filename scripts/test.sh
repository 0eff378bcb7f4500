#!/usr/bin/env bash
# README's test command, and what CI runs (.ci/run): on a Debian 12 machine as it comes (Node
# 20, build-essential, python3, zlib1g-dev), as root, installs every Debian package the tests
# use, builds gocker, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 20+ comes with the machine (Debian 12's own nodejs is 18, too old for the addon's N-API
# and for node:test as the suite uses it): say so plainly rather than fail somewhere deep.
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "scripts/test.sh: Node.js >= 20 is required (found $(node --version 2>&1))" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Fixture tools (busybox-static, umoci, skopeo, mmdebstrap), the real registry
# (docker-registry, apache2-utils for htpasswd), peers (runc, crun; podman reads what
# save writes; containerd and docker.io's dockerd run gocker-runtime in runc's place),
# keyutils (keyctl, for the session keyring test), golang-go (Go's regexp, the reference the
# name= filters' patterns are tested against), iptables (the bridge
# networks' NAT and filtering; iproute2 for the tests' checks), and what the native build
# links against (libmnl-dev: the addon's rtnetlink; nlohmann-json3-dev: the JSON library the
# monitor reads its config.json with).
apt-get install -y -qq --no-install-recommends \
  build-essential python3 ca-certificates git \
  busybox-static umoci skopeo mmdebstrap docker-registry apache2-utils \
  runc crun podman containerd docker.io pigz zstd attr xfsprogs zlib1g-dev libzstd-dev libseccomp-dev libmnl-dev nlohmann-json3-dev iptables iproute2 util-linux tmux keyutils golang-go >/dev/null

npm ci --no-audit --no-fund && npm test

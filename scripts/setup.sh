#!/usr/bin/env bash
# Installs everything hybridnet needs on Debian 12, as root: the routing and IPsec daemons the
# emulator runs (FRR, strongSwan with kernel-libipsec), the network tools, and a Python virtual
# environment in .venv with hybridnet and its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-pip
  frr                                   # zebra, bgpd, bfdd, staticd
  strongswan-swanctl charon-systemd strongswan-charon
  libcharon-extra-plugins               # kernel-libipsec: user-space ESP (this kernel has no ESP)
  libstrongswan-extra-plugins libstrongswan-standard-plugins   # gcm, openssl, ...
  nftables iproute2 traceroute iputils-ping procps psmisc curl
  chromium                              # headless rendering check of the HTML drill report
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts the system-wide FRR on install; hybridnet runs its own instances per namespace and
# needs none of it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet frr 2>/dev/null; then
  systemctl stop frr || true
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: done (.venv/bin/hybridnet)"

#!/usr/bin/env bash
# Debian packages the e2e and browser tests drive (the real package clients, headless Chromium, tmux) and the
# benchmark's load generator (wrk; scripts/bench/load.ts).
# Idempotent and quiet: installs only what is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  chromium
  twine python3-build python3-pip python3-venv python3-setuptools python3-wheel
  ruby bundler
  maven libmaven-deploy-plugin-java libmaven-install-plugin-java libmaven-dependency-plugin-java junit4
  tmux
  wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"

#!/usr/bin/env bash
# Installs everything the tests need (Debian packages, npm packages) and runs every test layer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
# npm ci wipes node_modules and rebuilds better-sqlite3 (about 2 minutes): skip it when the installed tree
# already matches the lockfile (npm writes node_modules/.package-lock.json on every install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm test

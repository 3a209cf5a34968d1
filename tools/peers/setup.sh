#!/usr/bin/env bash
# Idempotent setup for the peer (official Junction/Vital SDK) benchmarks.
# Creates:
#   tools/peers/.venv              Python 3.11 venv with vital==2.1.569
#   tools/peers/node/node_modules  @tryvital/vital-node@3.1.551
# Also makes sure /usr/bin/time (GNU time) exists for startup.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PY_SDK_VERSION="2.1.569"
NODE_SDK_VERSION="3.1.551"
PYTHON="${PYTHON:-python3}"

# --- GNU time (used by startup.sh for wall time + peak RSS) -----------------
if [ ! -x /usr/bin/time ]; then
  echo "[setup] /usr/bin/time missing; installing Debian package 'time'" >&2
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq time
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq time
  fi
fi

# --- Python SDK --------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating venv at $HERE/.venv" >&2
  "$PYTHON" -m venv .venv
fi
installed="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("vital"))' 2>/dev/null || true)"
if [ "$installed" != "$PY_SDK_VERSION" ]; then
  echo "[setup] pip install vital==$PY_SDK_VERSION" >&2
  .venv/bin/python -m pip install --quiet "vital==$PY_SDK_VERSION"
else
  echo "[setup] vital $PY_SDK_VERSION already installed" >&2
fi

# --- Node SDK ----------------------------------------------------------------
mkdir -p node
if [ ! -f node/package.json ]; then
  cat > node/package.json <<JSON
{
  "name": "naftiko-peer-bench-node",
  "private": true,
  "version": "0.0.0",
  "description": "Pinned official Junction (Vital) Node SDK for peer benchmarks"
}
JSON
fi
node_installed="$(node -e 'try{console.log(require("./node/node_modules/@tryvital/vital-node/package.json").version)}catch(e){}' 2>/dev/null || true)"
if [ "$node_installed" != "$NODE_SDK_VERSION" ]; then
  echo "[setup] npm install @tryvital/vital-node@$NODE_SDK_VERSION" >&2
  (cd node && npm install --no-audit --no-fund --save-exact "@tryvital/vital-node@$NODE_SDK_VERSION")
else
  echo "[setup] @tryvital/vital-node $NODE_SDK_VERSION already installed" >&2
fi

echo "[setup] done: python=$(.venv/bin/python --version 2>&1) vital=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("vital"))') node=$(node --version) vital-node=$NODE_SDK_VERSION" >&2

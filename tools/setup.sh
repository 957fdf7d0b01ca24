#!/usr/bin/env bash
# Install everything Jiayuan needs into this checkout: a Python virtualenv, the browser
# assets from the npm registry (served from static/vendor), and the compiled translations.
# Safe to run again. Usage: tools/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=requirements.txt
if [[ "${1:-}" == "--dev" ]]; then requirements=requirements-dev.txt; fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating the virtualenv in .venv"
  "$python" -m venv .venv
fi
echo "setup: installing Python packages from $requirements"
# (the machine's pip configuration may name local indexes that do not exist; that noise is dropped)
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
  | { grep -v "^WARNING: Location '" || true; }
test "${PIPESTATUS[0]}" -eq 0

echo "setup: installing browser assets from the npm registry"
npm ci --no-audit --no-fund --loglevel=error
.venv/bin/python tools/vendor_assets.py >/dev/null

echo "setup: compiling translations"
.venv/bin/pybabel compile -d deliberation/translations >/dev/null
echo "setup: done"

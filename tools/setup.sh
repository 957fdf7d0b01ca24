#!/usr/bin/env bash
# Install everything Jiayuan needs into this checkout: a Python virtualenv, the browser
# assets from the npm registry (served from static/vendor), and the compiled translations.
# Safe to run again. Usage: tools/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=requirements.txt kind=base
if [[ "${1:-}" == "--dev" ]]; then requirements=requirements-dev.txt kind=dev; fi

# Two set-ups in one checkout (two test runs started together) take turns, and the second
# finds everything installed: what it would install is named by a stamp of the inputs.
exec 9>.setup.lock
flock 9
stamp_file=.venv/.setup-stamp
stamp=$(cat requirements*.txt package.json package-lock.json tools/vendor_assets.py | sha256sum | cut -d' ' -f1)
installed=$(cat "$stamp_file" 2>/dev/null || true)
if [[ -d static/vendor && ( "$installed" == "$stamp dev" || "$installed" == "$stamp $kind" ) ]]; then
  .venv/bin/pybabel compile -d deliberation/translations >/dev/null
  echo "setup: up to date"
  exit 0
fi

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
echo "$stamp $kind" > "$stamp_file"
echo "setup: done"

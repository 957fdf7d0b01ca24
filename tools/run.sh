#!/usr/bin/env bash
# Set up, create or upgrade the database, load the demo data, and serve the app
# at http://127.0.0.1:5000 (HOST and PORT change that) on the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
export FLASK_APP=app.py
export JIAYUAN_DEMO=${JIAYUAN_DEMO:-1}
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo "Jiayuan is starting at http://${HOST:-127.0.0.1}:${PORT:-5000} (Ctrl-C stops it)"
exec .venv/bin/python app.py

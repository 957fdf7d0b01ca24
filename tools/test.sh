#!/usr/bin/env bash
# Set up and run the whole test suite: SQLite and PostgreSQL, Redis, and the browser tests.
# PostgreSQL is expected at JIAYUAN_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
# and Redis at JIAYUAN_TEST_REDIS_URL (default redis://127.0.0.1:6379/0). A missing service
# fails its tests; JIAYUAN_SKIP_SERVICES=postgresql,redis,browser skips them instead.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --dev

chromium=${JIAYUAN_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" && ",${JIAYUAN_SKIP_SERVICES:-}," != *",browser,"* ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test: installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "test: $chromium is missing; install Debian's chromium (apt-get install chromium)" >&2
  fi
fi

echo "test: ruff"
.venv/bin/ruff check .
echo "test: pytest"
# Two processes (the machines have two cores); a test file stays in one process, so that
# its module's fixtures (a live server, a demo database) are built once.
exec .venv/bin/python -m pytest -n "${JIAYUAN_TEST_PROCESSES:-2}" --dist loadfile "$@"

#!/usr/bin/env bash
# Install everything the tests need, then run every test.
#   - the project and its test extras, from PyPI
#   - ruff and mypy --strict, which must report nothing
#   - Debian's chromium (the browser tests drive it; Playwright never downloads a browser), fonts, gettext, poppler
# Extra arguments go to pytest: `bash tests/run.sh -k offline` (`-n 0`: in one process).
# pytest-xdist runs the tests in twice as many processes as the machine has cores (PUENTE_TEST_WORKERS
# to choose): most of a browser or server test is waiting. Then the tests marked `timing` run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-input -e '.[test]'
# An editable install leaves the project's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# every process the tests start (servers, commands, console jobs: hundreds) compiled them again. Compile once,
# as installing a wheel does; Python still checks each .pyc against its source.
"$PYTHON" -m compileall -q -j 0 backend tests serve.py >/dev/null

# Debian packages the tests use: the browser, fonts for every script the app speaks
# (so pages render glyphs, not boxes), msgfmt to check catalogs, pdftoppm to read printed flyers,
# nginx in front of the app (tests/test_deploy.py), systemd-analyze to verify the unit file.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
for pkg in fonts-noto-core fonts-wqy-microhei gettext poppler-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Static checks first: ruff (the rule set in pyproject.toml) and mypy --strict, each with 0 findings.
echo "ruff: $("$PYTHON" -m ruff --version)"
"$PYTHON" -m ruff check .  # every Python file of the project: backend, tests, pwa/*.py, serve.py, setup.py
echo "mypy --strict backend serve.py"
"$PYTHON" -m mypy backend serve.py

workers="${PUENTE_TEST_WORKERS:-$(($(nproc) * 2))}"
set +e
if [[ " $* " == *" -m"* ]]; then  # the caller chose the marks: one run
  "$PYTHON" -m pytest -n "$workers" --dist worksteal "$@"
  parallel=$? alone=5
else
  "$PYTHON" -m pytest -n "$workers" --dist worksteal -m "not timing" "$@"
  parallel=$?
  "$PYTHON" -m pytest -m timing "$@"  # the tests that assert wall-clock times, alone on the machine
  alone=$?
fi
set -e
if [ "$parallel" -eq 5 ] && [ "$alone" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
for status in "$parallel" "$alone"; do
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
    exit "$status"
  fi
done
exit 0

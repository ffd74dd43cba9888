#!/usr/bin/env bash
# The test command: installs the system packages the tests use when they are absent (Debian),
# then builds and runs the whole suite. Arguments are passed to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
command -v sha256sum >/dev/null 2>&1 || need+=(coreutils)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v nm >/dev/null 2>&1 || need+=(binutils)
command -v fiu-run >/dev/null 2>&1 || need+=(fiu-utils)
command -v strace >/dev/null 2>&1 || need+=(strace)
# The receiver's dashboard is checked in a real browser, and its HTML by Scripts/check-html.py.
command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The systemd units are checked offline (systemd-analyze, systemd-sysusers, systemd-tmpfiles):
# no running systemd is needed.
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The PostgreSQL store's tests start a throwaway server of their own (initdb, pg_ctl) on a free port.
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql-15)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need these Debian packages: ${need[*]}; install them (as root: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi

# The stock tools the tests compare against must be real, never skipped.
command -v ssh-keygen gzip zcat sha256sum fiu-run strace chromium-headless-shell python3 systemd-analyze systemd-sysusers systemd-tmpfiles >/dev/null
test -x /usr/lib/postgresql/15/bin/initdb

swift build --build-tests
# One test at a time: many tests wait on real child processes, and on 2 cores a parallel run lets
# those waits starve the tests that time real receivers and uploaders.
swift test --skip-build --no-parallel "$@"

#!/usr/bin/env bash
# Usage: Scripts/check-static.sh BINARY
# Fails unless BINARY (the release spooler) needs no shared library beyond the C and C++
# runtimes, libz and libsqlite3 (so it runs on a server with no Swift runtime, Foundation or
# ICU installed), carries no symbol table, and is smaller than 25 MB (25,000,000 bytes).
set -euo pipefail
binary=${1:?usage: check-static.sh BINARY}
max_bytes=25000000
allowed='^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libz\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libsqlite3\.so\.0)$'

[ -f "$binary" ] || { echo "check-static: $binary: no such file" >&2; exit 1; }
status=0
libraries=$(ldd "$binary" | awk '{print $1}')
unexpected=$(grep -vE "$allowed" <<<"$libraries" || true)
if [ -n "$unexpected" ]; then
  echo "check-static: $binary needs shared libraries outside the allowed list:" $unexpected >&2
  status=1
fi
size=$(stat -c %s "$binary")
if [ "$size" -ge "$max_bytes" ]; then
  echo "check-static: $binary is $size bytes; the limit is under $max_bytes" >&2
  status=1
fi
if readelf -S "$binary" | grep -q '\.symtab'; then
  echo "check-static: $binary is not stripped (it has a .symtab section)" >&2
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "check-static: $binary: $size bytes, stripped, needs only:" $libraries
fi
exit "$status"

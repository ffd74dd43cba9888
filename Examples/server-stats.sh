#!/bin/sh
# Demo of a `command` source: a real product would print these figures from its own counters
# (for example by querying a local status endpoint). The spooler reads one JSON value from
# stdout, at most 64 KiB, within the configured timeout; each metric picks its `field`.
cat <<'JSON'
{
  "database_calls": {"read": 48211, "insert": 3120, "update": 2877, "delete": 190, "transaction": 1544},
  "database_failures": 3,
  "database_mean_seconds": 0.0042,
  "api_calls": {"success": 90211, "redirect": 1200, "client_error": 310, "server_error": 4, "timeout": 1},
  "api_mean_seconds": 0.087
}
JSON

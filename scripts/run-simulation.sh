#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running daemon on the
# simulation workspace: install packages, build, then start actionplaned in
# the foreground with config/actionplane.ini (store: var/actionplane.db).
# Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh
cat <<'MSG'

ActionPlane is starting in the simulation environment. In another terminal:
  build/core/bin/apctl token create --workspace demo --principal olivia --role operator
  build/core/bin/apctl token create --workspace demo --principal arjun --role approver
  build/core/bin/apctl --token <operator-token> demo --approver-token <approver-token>
or simply (makes a fresh demo workspace with both tokens):
  build/core/bin/apctl demo

MSG
exec build/core/bin/actionplaned --config config/actionplane.ini "$@"

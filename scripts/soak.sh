#!/usr/bin/env bash
# Bounded soak test: many clients, random faults from a seed, for a given
# time (default 2m), one session in five hostile (an HTTP request, a 64 KiB
# line, binary garbage, a 4 EiB REST before STOR, CR or NUL in names, PORT to
# privileged ports, paths out of the root, 2,000 pipelined commands).
# Checks: no panic, the server still answers, its memory stays bounded, the
# journal matches what clients got
# answered, no goroutine or file-descriptor growth after the sessions end.
#   scripts/soak.sh [DURATION] [CLIENTS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-2m}"
clients="${2:-32}"
seed="${3:-1}"
exec go test -tags soak -race -count=1 -run '^TestSoak$' -timeout 30m -v ./server/ \
	-soak.duration "$duration" -soak.clients "$clients" -soak.seed "$seed"

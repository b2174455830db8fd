#!/usr/bin/env bash
# Runs every fuzzer of the module for a given time each (default 30s):
#   scripts/fuzz.sh [DURATION]      e.g. scripts/fuzz.sh 5m
# A failure leaves its input under the package's testdata/fuzz/<Fuzzer>/;
# fix the cause and commit that file: it becomes a regression seed that
# every `go test` run replays.
set -euo pipefail
cd "$(dirname "$0")/.."
time="${1:-30s}"
status=0
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^.*func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=./$(dirname "$file")
	echo "==> $pkg $name ($time)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$time" "$pkg"; then
		status=1
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | grep -v '/examples/')
exit $status

#!/usr/bin/env bash
# Run every fuzz target in the module for FUZZTIME each (default 3s).
# make test runs it briefly; make fuzz runs it for longer.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-3s}
n=0
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^.*func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=./$(dirname "$file")
	echo "fuzz: $pkg $name ($fuzztime)"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/hull-fuzz.$$ 2>&1 || {
		cat /tmp/hull-fuzz.$$
		rm -f /tmp/hull-fuzz.$$
		echo "fuzz: $name failed; the failing input is in $pkg/testdata/fuzz/$name/" >&2
		exit 1
	}
	n=$((n + 1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
rm -f /tmp/hull-fuzz.$$
if [ "$n" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $n targets passed"

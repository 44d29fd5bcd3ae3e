#!/bin/bash
# e2e_bench.sh - `make bench` in its smoke mode (BENCH_SMOKE=1: one short
# run per row): it must run to the end, print its table with every row
# (epwget -> epserver over memif, wrk, ab and h2load -> nginx, epwget ->
# nginx over af_packet) for both sizes with a non-zero rate, and write its
# results file with the machine's description. The numbers themselves are
# not judged: the bench is not a test; but every flow must be ok (no row
# FAILED, BENCH_STRICT=1). Needs root; skipped otherwise.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_bench: needs root (network namespaces)"
	echo "e2e_bench: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
for t in wrk ab h2load tcpdump; do
	if ! command -v "$t" > /dev/null; then
		echo "e2e_bench: $t is missing: run 'make deps'"
		echo "e2e_bench: 0 passed, 1 failed"
		exit 1
	fi
done
tmp=$(mktemp -d /tmp/e2e_bench.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# EPWGET and EPSERVER (make test's) pass through: the bench runs this build's binaries.
# BENCH_STRICT=1: a run with any flow not ok (a FAILED row) exits 1
BENCH_SMOKE=1 BENCH_STRICT=1 BENCH_OUT=$tmp mk/bench.sh > "$tmp/out" 2> "$tmp/err"
rc=$?
if [ "$rc" = 0 ]; then
	ok "make bench (smoke) ran to the end, every flow of every row ok (no FAILED row)"
elif grep -q '^bench: .* FAILED' "$tmp/out"; then
	bad "make bench (smoke): FAILED rows (a flow not ok)" "$(grep 'FAILED' "$tmp/out" | head -8)"
else
	bad "make bench (smoke)" "exit $rc" "$(tail -5 "$tmp/err")" "$(tail -5 "$tmp/out")"
fi

# every row of the table, both sizes, a rate above zero
for row in "1 epwget -> epserver (memif)" "2 wrk -> nginx (kernel, lo)" "2 ab -> nginx (kernel, lo)" \
	   "2 h2load --h1 -> nginx (kernel, lo)" "3 epwget -> nginx (af_packet, veth)"; do
	for size in 64 8192; do
		rate=$(awk -F'|' -v r=" $row " -v s=" $size B " '$2 == r && $3 == s { gsub(/[ ,]/, "", $5); print $5 }' \
			"$tmp/out" | head -1)
		if [[ $rate =~ ^[0-9]+ ]] && [ "${BASH_REMATCH[0]}" -gt 0 ]; then
			ok "table: row '$row', $size B: $rate flows/s"
		else
			bad "table: row '$row', $size B" "rate '${rate}'" "$(grep -F "$row" "$tmp/out" | head -2)"
		fi
	done
done
grep -q '^- 64 B, concurrency 100: row 1 / wrk = [0-9.]*x' "$tmp/out" &&
	ok "the ratio of row 1 to wrk is printed" || bad "ratio line" "$(grep -F 'row 1 / wrk' "$tmp/out")"
grep -Eq '^- row 1: [0-9.]+ ms' "$tmp/out" && grep -Eq '^- row 3: [0-9.]+ ms' "$tmp/out" &&
	ok "time to the first SYN for rows 1 and 3" || bad "time to the first SYN" "$(grep -A4 'first SYN' "$tmp/out")"

res=$(ls "$tmp"/results-*.md 2> /dev/null | head -1)
if [ -n "$res" ] && grep -q '^Machine: .*CPUs.*kernel' "$res" && grep -q '^Client on CPU' "$res" &&
   grep -q '^## Every run' "$res" && [ "$(grep -c '^| [123] |' "$res")" -ge 10 ]; then
	ok "results file $(basename "$res"): machine, load, the table and every run"
else
	bad "results file" "$(ls "$tmp")" "$(head -5 "$res" 2> /dev/null)"
fi
[ "$(ip netns list | grep -c 'epw-bench-')" -eq 0 ] && ok "the bench's lab is gone" || bad "lab left behind"
echo "e2e_bench: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

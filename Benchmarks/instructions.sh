#!/usr/bin/env bash
# Instruction counts per operation, Keybound vs raw swift-crypto, with valgrind --tool=callgrind:
# counts repeat exactly where wall time on a shared machine does not.
#
# For each case, each contender runs under callgrind (`KeyboundBenchmarks --instructions
# CASE:CONTENDER:OPS`, main thread only) with OPS = 2,048 (two cycles over the 1,024 tokens),
# counting only inside InstructionCount.measuredLoop (--collect-atstart=no --toggle-collect), so
# the preparation (key generation, signing the tokens) is not counted:
#   instructions per operation = instructions collected / 2,048.
# The ratio raw ÷ Keybound of instructions per operation is comparable to the ops/s ratio
# Keybound ÷ raw of the timed benchmark (1 means no overhead).
#
# valgrind 3.19 cannot read this toolchain's DWARF 5, so it runs a copy with the debug info
# stripped; SWIFT_DETERMINISTIC_HASHING=1 keeps Swift's hash seeds, and so the counts, the same
# from run to run. Usage: Benchmarks/instructions.sh [CASE ...] (default: the three verify cases)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${KEYBOUND_BENCH_SCRATCH:-$root/Benchmarks/.build}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -n "${KEYBOUND_SKIP_BUILD:-}" ] || swift build -c release --package-path "$root/Benchmarks" --scratch-path "$scratch" --product KeyboundBenchmarks >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$scratch/release/KeyboundBenchmarks" "$work/bench"
strip --strip-debug "$work/bench"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(verify.ES256 verify.EdDSA verify.RS256)

# count CASE CONTENDER OPS -> instructions collected inside measuredLoop
count() {
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measuredLoop*' \
        --callgrind-out-file="$work/out" "$work/bench" --instructions "$1:$2:$3" 2>&1 | awk '/Collected :/ { print $NF }'
}

printf '| Case | Keybound instructions/op | raw instructions/op | raw ÷ Keybound |\n|---|---|---|---|\n'
for name in "${cases[@]}"; do
    declare -A per
    for contender in keybound raw; do
        total=$(count "$name" "$contender" 2048)
        [ -n "$total" ] && [ "$total" -gt 0 ] || { echo "callgrind failed for $name $contender" >&2; exit 1; }
        per[$contender]=$(( total / 2048 ))
    done
    ratio=$(awk -v k="${per[keybound]}" -v r="${per[raw]}" 'BEGIN { printf "%.3f", r / k }')
    printf '| %s | %s | %s | %s |\n' "$name" "${per[keybound]}" "${per[raw]}" "$ratio"
done

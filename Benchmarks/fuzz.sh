#!/usr/bin/env bash
# The parser fuzz tests at benchmark scale: every reader of user files (npy, npz, IDX
# plain and gzip, CIFAR, PNG, safetensors, digits CSV, JSON and JSON-lines run files)
# over CASES mutated copies of valid files each, instead of the suite's 1,500 / 1,000.
#
#   Benchmarks/fuzz.sh [CASES]      CASES per parser and variant (default 50000)
#
# A parser that traps ends the test process (the run fails); a refusal whose message is
# not one line naming the file fails its test. Prints each test's outcome and the time.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:-50000}
swift build -c release -Xswiftc -enable-testing --build-tests --scratch-path .build-fuzz >/dev/null
LOG=$(mktemp)
start=$(date +%s)
status=0
CLENS_FUZZ_CASES=$CASES swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path .build-fuzz \
  --filter "ParserFuzzTests|RunFileFuzzTests" >"$LOG" 2>&1 || status=$?
grep -E "✔ Test|✘|accepted" "$LOG" || tail -20 "$LOG"
echo "fuzzed $CASES cases per parser variant in $(( $(date +%s) - start )) s, exit status $status"
rm -f "$LOG"
exit $status

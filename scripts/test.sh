#!/usr/bin/env bash
# The test suite with one total: builds and runs every test project of the solution (dotnet test), then prints
# "N passed, N failed[, N skipped]" for the whole solution, and the reason of each skipped test. Exit code 0 only
# when nothing failed. Fetches the emoji art first (scripts/fetch-emoji-art.sh, npm registry) so the EmojiWorld
# tests run; without it they are skipped, saying why. Extra arguments go to dotnet test (e.g. --filter ...).
#   scripts/test.sh [dotnet test options]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/fetch-emoji-art.sh" >/dev/null 2>&1 || echo "note: the emoji art could not be fetched (npm); the EmojiWorld tests that need it will be skipped" >&2

results="$root/TestResults"
rm -rf "$results"
dotnet test UnimoG.Services.sln -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for f in "$results"/*.trx; do
  [[ -f $f ]] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  p=$(get passed); fl=$(get failed); t=$(get total); ex=$(get executed)
  passed=$((passed + ${p:-0})); failed=$((failed + ${fl:-0}))
  skipped=$((skipped + ${t:-0} - ${ex:-0}))
done
# A build failure or a crashed test host produces no counters: count it as a failure.
if ((status != 0 && failed == 0)); then failed=1; fi
if ((files == 0)); then failed=$((failed > 0 ? failed : 1)); fi

if ((skipped > 0)); then
  # Each skipped test's reason, one line each (xUnit writes it as the result's message).
  grep -ho 'testName="[^"]*"[^>]*outcome="NotExecuted"' "$results"/*.trx 2>/dev/null | sed 's/testName="\([^"]*\)".*/skipped: \1/' | sort -u
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))

#!/usr/bin/env bash
# The whole test suite: unit tests, TorchSharp training, a real PostgreSQL (started by the tests themselves in a
# private folder, as the postgres user when run as root), real Hangfire and Worker processes, and Chromium.
# --fast: for the inner loop, leaves out the tests that start a Worker process or a browser, and the slowest of the
# rest (traits Category=WorkerProcess, Browser, Slow); combined with a --filter of your own if you give one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh test
export RNNSWEEP_HOME="${RNNSWEEP_HOME:-$PWD/.rnnsweep}"
results="$RNNSWEEP_HOME/test-results"
rm -rf "$results"
mkdir -p "$results"

fast=0 filter="" args=()
while (($#)); do
  case "$1" in
    --fast) fast=1 ;;
    --filter) filter="${2:?--filter needs an expression}"; shift ;;
    --filter=*) filter="${1#--filter=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done
if ((fast)); then
  fast_filter="Category!=WorkerProcess&Category!=Browser&Category!=Slow"
  filter="${filter:+($filter)&}$fast_filter"
  # A test that starts a Worker or a browser without its trait fails, naming the trait (TestCategories).
  export RNNSWEEP_FAST_TESTS=1
fi
[[ -n "$filter" ]] && args+=(--filter "$filter")

# The build is skipped when no input changed since the last successful one (a hash of the inputs' paths, sizes and
# modification times, as the launcher does for the app): an up-to-date `dotnet build` of the solution still takes
# half a minute here, most of a fast run. A clean clone (CI) has no stamp and always builds.
build_inputs_hash() {
  find src tests migrations Directory.Build.props Directory.Packages.props global.json RnnSweep.slnx .editorconfig \
    \( -name bin -o -name obj \) -prune -o -type f -printf '%p\t%s\t%T@\n' | sort | sha256sum | cut -d' ' -f1
}
build_stamp="$RNNSWEEP_HOME/test-build.stamp"
# What the tests run: every test project's assembly, and the Worker that the WorkerProcess tests start.
outputs_present() {
  local project name
  for project in tests/*/*.Tests.csproj; do
    name="RnnSweep.$(basename "$project" .csproj).dll"
    compgen -G "$(dirname "$project")/bin/Release/net10.0/$name" >/dev/null ||
      compgen -G "$(dirname "$project")/bin/Release/net10.0/*/$name" >/dev/null || return 1
  done
  [[ -f src/Worker/bin/Release/net10.0/linux-x64/RnnSweep.Worker.dll ]]
}
hash="$(build_inputs_hash)"
if [[ "$(cat "$build_stamp" 2>/dev/null)" == "$hash" ]] && outputs_present; then
  echo "Build up to date (no input changed since $(date -r "$build_stamp" '+%F %T')): not rebuilding."
else
  rm -f "$build_stamp"
  dotnet build RnnSweep.slnx -c Release -nologo -v quiet -clp:ErrorsOnly
  echo "$hash" >"$build_stamp"
fi
status=0
dotnet test RnnSweep.slnx -c Release --no-build --logger "console;verbosity=normal" \
  --logger "trx;LogFilePrefix=results" --results-directory "$results" "${args[@]}" || status=$?
# One closing line for every project together, in the plain form CI reads.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -e "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
# The failed tests again at the very end, with the first lines of their message: CI keeps only the log's tail.
if ((failed > 0)); then
  for trx in "$results"/*.trx; do
    [[ -e "$trx" ]] || continue
    awk 'function plain(t) { gsub(/&quot;/, "\"", t); gsub(/&apos;/, "\047", t); gsub(/&lt;/, "<", t); gsub(/&gt;/, ">", t)
                             gsub(/&#xD;|&#xA;/, "", t); gsub(/&amp;/, "\\&", t); return t }
         /<UnitTestResult / { failing = /outcome="Failed"/; inmessage = 0
           if (failing) { match($0, /testName="[^"]*"/); print "FAILED " plain(substr($0, RSTART + 10, RLENGTH - 11)) } }
         failing && /<Message>/ { inmessage = 1; shown = 0; sub(/^[ \t]*<Message>/, "") }
         inmessage && shown < 12 { line = $0; sub(/<\/Message>.*/, "", line); print "    " plain(line); shown++ }
         inmessage && /<\/Message>/ { inmessage = 0; failing = 0 }' "$trx" || true
  done
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
if ((passed == 0 && status == 0)); then echo "error: no test ran" >&2; exit 1; fi
# A failure counted in the results fails the run even if dotnet test exited 0, and so does a test project that wrote
# no results at all (its test host crashed or was killed before its summary).
if ((failed > 0 && status == 0)); then status=1; fi
projects=$(find tests -name '*.Tests.csproj' | wc -l)
reports=$(find "$results" -maxdepth 1 -name '*.trx' | wc -l)
if ((reports < projects)); then echo "error: $projects test projects, results from $reports (a test host ended early?)" >&2; status=1; fi
exit "$status"

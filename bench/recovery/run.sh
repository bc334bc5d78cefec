#!/usr/bin/env bash
# Recovery figures with Chromium pages and the real server (docs/performance.md, "Recovery after a network cut" and
# "Restarts with Chromium pages"): the page tests the suite runs a few times each, run RUNS times here for the figure.
# usage: bench/recovery/run.sh [OUTDIR]   (from the repository root, after scripts/setup.sh --test)
# Env: RUNS=11 (scenarios per test: 8 s cuts, or restarts of each kind), BUILD=1 (0 skips the build),
#      TESTS="cut restart" (which figures).
# Prints each test's summary line (min, median, max) and the 1-minute load average before and after it.
set -euo pipefail
out=${1:-$(mktemp -d /tmp/recoverybench.XXXXXX)}
mkdir -p "$out"
RUNS=${RUNS:-11} BUILD=${BUILD:-1} TESTS=${TESTS:-"cut restart"}
if [ "$BUILD" = 1 ]; then dotnet build MediaServer.slnx -c Release --verbosity quiet >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }; fi
load1() { cut -d' ' -f1 /proc/loadavg; }
for test in $TESTS; do
  case "$test" in
    cut) filter="FullyQualifiedName~After_an_8_s_cut" ;;
    restart) filter="FullyQualifiedName~VisitRestartPageTests" ;;
    *) echo "unknown test '$test' (cut, restart)" >&2; exit 2 ;;
  esac
  before=$(load1)
  status=0
  MEDIASERVER_RUNS=$RUNS dotnet test tests/MediaServer.WebRtcTests -c Release --no-build --filter "$filter" \
    --logger "console;verbosity=detailed" >"$out/$test.log" 2>&1 || status=$?
  echo "== $test, $RUNS runs, load $before -> $(load1), exit $status (log: $out/$test.log)"
  grep -E "^ *(recovery |ICE restarts per run|SIGKILL run|SIGTERM run|run [0-9]+: video back)" "$out/$test.log" | sed 's/^ *//' | sort -u
done

#!/usr/bin/env bash
# Installs what the tests need (FFmpeg, Chromium, python3-aiortc, openssl, nginx: scripts/setup.sh --test), restores, builds and
# runs every test project; ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --test
results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
dotnet build MediaServer.slnx --configuration Release --no-restore --verbosity quiet
# One project at a time: the integration and WebRTC suites run real peers (FFmpeg, Chromium) with timing checks, and two
# of them at once on a 2-core machine would measure each other rather than the server.
for project in tests/MediaServer.Codecs.Tests tests/MediaServer.Tests tests/MediaServer.ControlPlaneTests tests/MediaServer.IntegrationTests tests/MediaServer.WebRtcTests; do
  dotnet test "$project" --configuration Release --no-build \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?
done
passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "${passed} passed, ${failed} failed"
exit "$status"

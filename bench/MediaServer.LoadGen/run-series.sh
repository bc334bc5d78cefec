#!/usr/bin/env bash
# Runs the load-generator series docs/performance.md reports, one run after another (never in parallel: they share 2 cores).
# usage: bench/MediaServer.LoadGen/run-series.sh OUTDIR   (from the repository root; builds Release first)
set -euo pipefail
out=${1:?usage: run-series.sh OUTDIR}
mkdir -p "$out"
dotnet build -c Release bench/MediaServer.LoadGen >/dev/null
lg=(dotnet bench/MediaServer.LoadGen/bin/Release/net10.0/MediaServer.LoadGen.dll --seconds 20 --seed 1)
run() {
  local name=$1; shift
  echo "== $name: ${lg[*]} $*"
  timeout 600 "${lg[@]}" "$@" > "$out/$name.txt" 2>&1 || echo "   (exit $?; see $out/$name.txt)"
  grep '^RESULT' "$out/$name.txt" || true
}
for n in 1 10 25 50 100; do run "server-v1-n$n" --visits "$n"; done
for n in 1 10 25 50 100; do run "direct-v1-n$n" --visits "$n" --direct; done
for n in 1 10; do run "server-v4-n$n" --visits "$n" --visitors 4; done
for i in 1 2; do
  run "env-default-$i" --visits 25
  run "env-spin0-$i" --visits 25 --server-env DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
  run "env-inline-$i" --visits 25 --server-env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
done

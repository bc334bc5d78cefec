#!/usr/bin/env bash
# Installs what the server (and, with --test, the test suite) needs on a Debian machine, then restores NuGet packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi

packages=()
command -v ffmpeg >/dev/null 2>&1 || packages+=(ffmpeg)
# The review copy's burned-in overlay draws with DejaVu Sans (--no-install-recommends may leave fonts out).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
if [ "$want_tests" = 1 ]; then
  command -v ffprobe >/dev/null 2>&1 || packages+=(ffmpeg)
  # WebRTC interop tests: Debian's Chromium (driven by Playwright, never its own browser download) and aiortc on Debian's python.
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  /usr/bin/python3 -c 'import aiortc' >/dev/null 2>&1 || packages+=(python3-aiortc)
  # A second, independent DTLS-SRTP peer for the handshake tests (openssl s_client -dtls1_2 -use_srtp).
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
  # The reverse-proxy layout of docs/deploy.md is tested with Debian's nginx in front of the server.
  [ -x /usr/sbin/nginx ] || packages+=(nginx)
  # The restart tests stop the server with kill -TERM (procps; not in a minimal Debian install).
  [ -x /usr/bin/kill ] || [ -x /bin/kill ] || packages+=(procps)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${packages[*]} with apt-get"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

dotnet restore MediaServer.slnx --verbosity quiet

#!/usr/bin/env bash
# Runs the server on its embedded defaults: http://127.0.0.1:8080, data (SQLite, recordings) in ./data, keys in ./data-keys.
# Extra arguments go to the server, e.g. ./run.sh --urls http://0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# `dotnet run` starts the server in the project's folder: pin the data directory to ./data beside this script.
export MediaServer__DataDirectory="${MediaServer__DataDirectory:-$PWD/data}"
exec dotnet run --configuration Release --project src/MediaServer -- "$@"

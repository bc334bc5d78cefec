#!/bin/sh
# The container's entrypoint (Dockerfile): the announced address and the listen addresses from the environment, then the
# server in the foreground as PID 1's only child (exec, so SIGTERM from `docker stop` reaches it and the visits drain).
set -eu

# ANNOUNCED_ADDRESS: the host's public address, the one written into SDP answers (a container's own address is never
# reachable from a browser). Explicit MediaServer__*__AnnouncedAddress settings win.
if [ -n "${ANNOUNCED_ADDRESS:-}" ]; then
  export MediaServer__WebRtc__AnnouncedAddress="${MediaServer__WebRtc__AnnouncedAddress:-$ANNOUNCED_ADDRESS}"
  export MediaServer__Rtp__AnnouncedAddress="${MediaServer__Rtp__AnnouncedAddress:-$ANNOUNCED_ADDRESS}"
fi

# With a certificate: HTTPS on 8443 for browsers, HTTP on loopback for the health check. Without: HTTP on 8080 for a TLS
# proxy in front (docs/deploy.md); the server warns at start that browsers will not give it camera or microphone directly.
if [ -n "${MediaServer__Https__CertificatePath:-}" ]; then
  urls="https://0.0.0.0:8443;http://127.0.0.1:8080"
else
  urls="http://0.0.0.0:8080"
fi

exec dotnet /app/MediaServer.dll --urls "${MEDIASERVER_URLS:-$urls}" "$@"

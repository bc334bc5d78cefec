# The media server as a container (docs/deploy.md, "The container image"). Browsers need HTTPS and the UDP media ports:
#   docker build -t mediaserver .
#   docker run -d -p 8443:8443 -p 41000:41000/udp -p 40000-40999:40000-40999/udp \
#     -v mediaserver-data:/data -v mediaserver-keys:/keys -v /etc/letsencrypt:/etc/letsencrypt:ro \
#     -e ANNOUNCED_ADDRESS=<the host's public IP> \
#     -e MediaServer__Https__CertificatePath=/etc/letsencrypt/live/<name>/fullchain.pem \
#     -e MediaServer__Https__KeyPath=/etc/letsencrypt/live/<name>/privkey.pem mediaserver
# The ports below are config/appsettings.json's (MediaServer:WebRtc:Port, MediaServer:Rtp:PortMin-PortMax); a test
# (DeploymentFileTests) keeps them in step.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig MediaServer.slnx ./
COPY config/ config/
COPY src/ src/
RUN dotnet publish src/MediaServer/MediaServer.csproj --configuration Release --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin mediaserver \
 && mkdir -p /data /keys \
 && chown mediaserver:mediaserver /data /keys \
 && chmod 0700 /data /keys
WORKDIR /app
COPY --from=build /app ./
COPY config/docker-entrypoint.sh /usr/local/bin/mediaserver-entrypoint
# Keys and audit checkpoints on their own volume: a copy of the data volume holds no key (README, "Keys").
# Media binds every interface; the address browsers send to comes from ANNOUNCED_ADDRESS (the entrypoint).
ENV MediaServer__DataDirectory=/data \
    MediaServer__KeyDirectory=/keys \
    MediaServer__Rtp__ListenAddress=0.0.0.0 \
    MediaServer__WebRtc__ListenAddress=0.0.0.0 \
    ANNOUNCED_ADDRESS=""
VOLUME /data
VOLUME /keys
# HTTP (the health check, or a proxy in front), HTTPS (the server's own TLS), WebRTC, plain RTP.
EXPOSE 8080/tcp
EXPOSE 8443/tcp
EXPOSE 41000/udp
EXPOSE 40000-40999/udp
USER mediaserver
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--max-time", "4", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/mediaserver-entrypoint"]

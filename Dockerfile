# Builds and runs the media server. Media ports are UDP: publish the RTP range you configure (default 40000-40999).
#   docker build -t mediaserver .
#   docker run -p 8080:8080 -p 40000-40999:40000-40999/udp -v mediaserver-data:/data -v mediaserver-keys:/keys \
#     -e MediaServer__Rtp__ListenAddress=0.0.0.0 -e MediaServer__Rtp__AnnouncedAddress=<host IP> mediaserver
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig MediaServer.slnx ./
COPY config/ config/
COPY src/ src/
RUN dotnet publish src/MediaServer/MediaServer.csproj --configuration Release --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Keys and audit checkpoints on their own volume: a copy of the data volume holds no key (README, "Keys").
ENV MediaServer__DataDirectory=/data \
    MediaServer__KeyDirectory=/keys \
    MediaServer__Rtp__ListenAddress=0.0.0.0
VOLUME /data
VOLUME /keys
EXPOSE 8080
EXPOSE 40000-40999/udp
ENTRYPOINT ["dotnet", "/app/MediaServer.dll", "--urls", "http://0.0.0.0:8080"]

# FaceMatch on the CPU: `docker build -t facematch:cpu .`, then, with TLS (PEM files mounted):
#   docker run -p 50051:50051 -p 9464:9464 -v facematch-data:/data -v /etc/facematch:/tls:ro \
#     -e FACEMATCH_TLS_CERT=/tls/cert.pem -e FACEMATCH_TLS_KEY=/tls/key.pem facematch:cpu
# or, behind a TLS-terminating proxy or mesh only, -e FACEMATCH_ALLOW_PLAINTEXT=true instead of the TLS files.
# The container listens on every interface (FACEMATCH_BIND=0.0.0.0), so without one of the two it refuses to start.
# Without a Docker engine, `make image` builds the same image as an OCI archive (scripts/build-oci-image.sh).
# Build stage: the same `make` steps as a developer machine (Debian packages, pinned npm tarballs, native library,
# single-file executable, model conversion). Runtime stage: Debian with the image codecs, the executable, its native
# libraries and the converted models, run as a non-root user; nothing is downloaded at run time.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends make cmake g++ nodejs npm openssl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make build models

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libturbojpeg0 libspng0 libwebp7 libwebpdemux2 libssl3 libicu72 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 facematch && useradd --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin facematch \
    && install -d -o 10001 -g 10001 -m 0700 /data
COPY --from=build /src/out/ /opt/facematch/
COPY --from=build /src/models/manifest.json /src/models/*.onnx /opt/facematch/models/
ENV FACEMATCH_MODELS=/opt/facematch/models \
    FACEMATCH_DATA=/data \
    FACEMATCH_BIND=0.0.0.0 \
    FACEMATCH_PORT=50051
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 50051 9464
# `facematch health` asks grpc.health.v1 on loopback (over TLS when FACEMATCH_TLS_CERT is set, trusting that certificate).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["/opt/facematch/facematch", "health"]
ENTRYPOINT ["/opt/facematch/facematch", "serve"]

# One image for every shockwave service and the operator CLI (the command picks the binary: projector, scorer,
# alerter, api, ingest-news, ingest-appranks, ingest-prices, shockwave). Multi-stage: build with the Rust toolchain, run on slim Debian
# with the ONNX Runtime library the scorer loads (from the pinned PyPI wheel, as deploy/local does).
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends cmake zlib1g-dev python3-pip \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked \
      -p shockwave-projector -p shockwave-scorer -p shockwave-alerter -p shockwave-api \
      -p shockwave-ingest-news -p shockwave-ingest-appranks -p shockwave-ingest-prices -p shockwave-cli \
    && mkdir -p /out/bin \
    && cp target/release/projector target/release/scorer target/release/alerter target/release/api \
          target/release/ingest-news target/release/ingest-appranks target/release/ingest-prices \
          target/release/shockwave /out/bin/ \
    && SHOCKWAVE_TOOLS_DIR=/out/tools bash deploy/local/install-onnxruntime.sh > /out/ort-path

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 shockwave
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/tools/ /opt/shockwave/tools/
COPY models/sentiment/ /opt/shockwave/models/sentiment/
COPY deploy/config/ /opt/shockwave/config/
WORKDIR /opt/shockwave
ENV ORT_DYLIB_PATH=/opt/shockwave/tools/onnxruntime-1.32.0/libonnxruntime.so.1.32.0 \
    SHOCKWAVE_MODEL_DIR=/opt/shockwave/models/sentiment/v2 \
    SHOCKWAVE_MODEL_CARDS=/opt/shockwave/models/sentiment \
    SHOCKWAVE_LOG_FORMAT=json
USER shockwave
CMD ["api"]

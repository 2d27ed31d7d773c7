# One image for every role: `bode api` (default) or `bode worker`.
# The build stage installs with the same scripts/install-deps that
# scripts/run and scripts/test use; tests/integration/test_dockerfile.py
# replays this file's build steps in CI, since CI has no Docker engine.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps build
COPY . .
RUN cmake -S . -B build-docker -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
RUN cmake --build build-docker -j"$(nproc)" --target bode
RUN DESTDIR=out cmake --install build-docker --prefix /usr

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libhiredis0.14 libjansson4 libcurl4 libssl3 \
        libidn2-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 65532 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin bode
COPY --from=build /src/out/usr/ /usr/
# Nothing is written at run time, so the root filesystem can be read-only.
USER 65532:65532
ENV BODE_LISTEN_ADDR=0.0.0.0 \
    BODE_PORT=6011
EXPOSE 6011
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/bin/bode", "health"]
ENTRYPOINT ["/usr/bin/bode"]
CMD ["api"]

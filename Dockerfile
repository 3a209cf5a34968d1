# naftiko as a container image: build with the Rust toolchain, run on a slim Debian base
# (CA certificates for https upstreams, no shell tools needed). See docs/deploy.md.
#
#   docker build -t naftiko .
#   docker run --rm -p 3001:3001 -p 9090:9090 -v "$PWD/capability.yaml:/etc/naftiko/capability.yaml:ro" \
#     -e MY_API_KEY naftiko
FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release --bin naftiko \
 && strip target/release/naftiko

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home naftiko
COPY --from=build /src/target/release/naftiko /usr/local/bin/naftiko
USER 10001
EXPOSE 3001 9090
# 0.0.0.0 inside the container; the published ports decide who can reach them.
ENTRYPOINT ["naftiko", "serve", "/etc/naftiko/capability.yaml"]
CMD ["--mcp", "0.0.0.0:3001", "--control", "0.0.0.0:9090", "--drain-delay", "5"]

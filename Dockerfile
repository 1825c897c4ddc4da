# syntax=docker/dockerfile:1
#
# Image of the bridge: a static binary on distroless, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t natsbridge/bridge .
#   make compose-up    # builds it and runs the stack of deploy/docker-compose.yml
#
# The final image has no shell, so its HEALTHCHECK runs the binary itself:
# `bridge -healthcheck` asks /readyz (503 while NATS is disconnected, until
# every route is subscribed, and while draining) on BRIDGE_METRICS_ADDR,
# port 9090 by default. Kubernetes probes /healthz and /readyz directly.

# Build stage: the Go version of go.mod (a test checks that they agree).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# VERSION is what `bridge -version` prints and bridge_build_info reports.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/bridge ./cmd/bridge

# Final stage: static-debian12 holds CA certificates, tzdata and
# /etc/passwd with the nonroot user (65532), and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bridge /bridge
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
# /metrics, /healthz and /readyz (BRIDGE_METRICS_ADDR).
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["/bridge", "-healthcheck"]
ENTRYPOINT ["/bridge"]

# syntax=docker/dockerfile:1
#
# Savannah API image: a static Go binary on scratch, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg REVISION=$(git rev-parse HEAD) -t savannah .
#   docker run --read-only --tmpfs /tmp -v savannah-data:/data -p 8080:8080 savannah
#   docker run --rm -v savannah-data:/data savannah migrate
#
# Subcommands (serve is the default): serve [--role api|worker|all] | migrate |
# seed --catalog FILE | create-admin --email E --password P | healthcheck.
# Configuration comes from the environment (see internal/config and the
# README's configuration table). compose.yaml runs the whole stack.

# ---- build ------------------------------------------------------------------
# The build stage runs on the builder's own platform and cross-compiles
# (GOOS/GOARCH from buildx), so multi-arch images need no emulation.
# Pinned to the patch release in go.mod; GOTOOLCHAIN=local makes a go.mod bump
# fail loudly here instead of silently downloading another toolchain.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
ENV GOTOOLCHAIN=local
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# CGO is off: SQLite is modernc.org/sqlite (pure Go) and PostgreSQL is lib/pq,
# so the binary is fully static and runs on scratch. -trimpath drops
# local paths, -s -w the symbol and debug tables. The build cache is a BuildKit
# cache mount, so it speeds up rebuilds without ending up in a layer.
# timetzdata embeds the time zone database, which scratch lacks.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -tags timetzdata -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/savannah ./server \
 && mkdir -p /out/data

# ---- runtime ----------------------------------------------------------------
# scratch: nothing but the binary, the CA certificates it needs to call
# payment and SMS providers over TLS, and a data directory. No shell, no
# package manager, no user database: the numeric uid 65532 runs it.
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="savannah" \
      org.opencontainers.image.description="Savannah GraphQL commerce API" \
      org.opencontainers.image.source="https://github.com/savannah-commerce/savannah" \
      org.opencontainers.image.vendor="savannah-commerce" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/savannah /savannah

# /data is the only place the process writes (the SQLite file and its WAL),
# so the root filesystem can be mounted read-only. The directory is owned by
# the nonroot user so a fresh named volume inherits that ownership; declaring
# it a volume keeps the database out of the container's writable layer.
# PostgreSQL deployments (DATABASE_URL=postgres://…) never touch it.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME ["/data"]
WORKDIR /data
USER 65532:65532

# Absolute path: the built-in default (sqlite://savannah.db) is relative to
# the working directory.
ENV DATABASE_URL=sqlite:///data/savannah.db \
    HTTP_ADDR=:8080

EXPOSE 8080

# No HEALTHCHECK here: the same image also runs one-off commands (migrate),
# which must not be marked unhealthy. Kubernetes probes GET /healthz and
# GET /readyz directly; Compose, lacking a shell or curl in the image, runs
# `/savannah healthcheck` (GET /readyz on HTTP_ADDR's port), see compose.yaml.
ENTRYPOINT ["/savannah"]
CMD ["serve"]

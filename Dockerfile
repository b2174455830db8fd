# mockftpd, a scriptable mock FTP server, in a small image: a static binary
# on scratch, run as an unprivileged user. See docs/docker.md.
#
#   docker build -t mockftpd .
#   docker run --rm -p 2121:2121 -p 8021:8021 -p 30000-30009:30000-30009 \
#     -e MOCKFTPD_PUBLIC_HOST=127.0.0.1 -e MOCKFTPD_ADMIN_TOKEN=s3cret \
#     -e MOCKFTPD_SCENARIO=builtin:disk-full-second-upload mockftpd

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Module settings may be passed through (--build-arg GOPROXY=...); nothing
# but the Go module proxy is reached.
ARG GOPROXY
ARG GOSUMDB
ARG GOPRIVATE
ARG GONOSUMDB
ARG GOFLAGS
ENV CGO_ENABLED=0
# Modules first, so that this layer is reused while only the code changes.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
# VERSION names the build in "mockftpd version" (default: the module's).
ARG VERSION=""
RUN go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/mockftpd ./cmd/mockftpd \
 && /out/mockftpd version \
 && mkdir -p /out/root/tmp /out/root/scenarios \
 && chmod 1777 /out/root/tmp \
 && chmod 0755 /out/root/scenarios

FROM scratch
COPY --from=build /out/root/ /
COPY --from=build /out/mockftpd /mockftpd
# Defaults for a container; every one can be overridden with -e, and every
# flag has a MOCKFTPD_<NAME> variable (see mockftpd -help).
#  - plain FTP on all interfaces (FTPS: MOCKFTPD_TLS=explicit, with
#    MOCKFTPD_CERT/MOCKFTPD_KEY from "mockftpd cert"), passive ports
#    30000-30009 (publish them 1:1 and set MOCKFTPD_PUBLIC_HOST to the
#    address clients use, e.g. 127.0.0.1);
#  - the admin API on all interfaces, so MOCKFTPD_ADMIN_TOKEN is required
#    (mockftpd refuses to start without it; MOCKFTPD_ADMIN= switches it off);
#    it answers to any host name (a container is reached as localhost, its
#    service name, "docker" from a CI's Docker-in-Docker...), which the
#    token makes safe from DNS rebinding;
#  - the scenario /scenarios/default.yaml when it exists (mount a folder on
#    /scenarios), reloaded whenever it changes; without it, a plain server.
#    MOCKFTPD_SCENARIO=builtin:NAME serves one of the scenarios built into
#    the binary instead ("docker run --rm mockftpd scenarios" lists them).
ENV MOCKFTPD_LISTEN=0.0.0.0:2121 \
    MOCKFTPD_PASSIVE_PORTS=30000-30009 \
    MOCKFTPD_ADMIN=0.0.0.0:8021 \
    MOCKFTPD_ADMIN_ALLOW_HOST=* \
    MOCKFTPD_SCENARIO=/scenarios/default.yaml \
    MOCKFTPD_SCENARIO_OPTIONAL=true \
    MOCKFTPD_LOG_FORMAT=json
USER 65532:65532
EXPOSE 2121 8021 30000-30009
# Asks the admin API's /api/ready (no connection to the FTP port, so the
# session numbering and the journal are left alone); with the admin API
# off, it connects to the FTP port and wants a 220 greeting.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/mockftpd", "healthcheck"]
ENTRYPOINT ["/mockftpd"]

#!/usr/bin/env bash
# .ci/docker-check.sh: builds the Dockerfile and drives the image it makes,
# on a machine with no Docker engine and no registry but the Go module proxy.
#
#  1. installs buildah (and busybox-static, ca-certificates, curl) with apt;
#  2. makes the builder base image "golang:1.26-bookworm" locally, from this
#     machine's Go toolchain (/usr/local/go), a static busybox for the shell
#     and CA certificates for the module proxy (nothing can be pulled);
#  3. builds the real Dockerfile with buildah (chroot isolation, vfs
#     storage, host network so that "go mod download" reaches the proxy),
#     in a private store under a temporary folder;
#  4. checks the final image: size under 20 MB, numeric non-root user,
#     HEALTHCHECK, refusal to start without an admin token;
#  5. runs it with "buildah run --isolation chroot --network host" on free
#     loopback ports chosen here, serving the README's built-in scenario
#     (builtin:disk-full-second-upload, checked with curl as the README
#     says), and drives it: an FTP session (login, STOR,
#     LIST, RETR) with docker/smoke, a scenario put through the admin API
#     with curl that makes STOR fail with 452, the client seeing the 452, the
#     journal showing it, the live page (/ui/) and its stream answering,
#     and "mockftpd healthcheck" run inside the image.
#
# It runs as root (buildah's chroot isolation and vfs storage need no
# daemon, no user namespaces and no overlay support), cleans up after itself
# and fails loudly at the first step that goes wrong. Usage:
#
#   bash .ci/docker-check.sh            # KEEP=1 keeps the temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)

say() { printf '\n==> docker-check: %s\n' "$*"; }
die() {
	printf '\n!!! docker-check FAILED: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (buildah with chroot isolation and vfs storage)"

# ---------------------------------------------------------------- 1. tools
say "tools"
missing=()
command -v buildah >/dev/null || missing+=(buildah)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || missing+=(busybox-static)
[ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update"
	apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]}"
fi
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH
GOROOT_HOST=$(go env GOROOT)
echo "buildah $(buildah --version | awk '{print $3}'), $(go version), GOROOT $GOROOT_HOST"

# A private store, so that nothing outside the temporary folder changes.
WORK=$(mktemp -d /var/tmp/mockftpd-docker-check.XXXXXX)
B=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
SERVER_PID=""
cleanup() {
	rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -s "$WORK/server.log" ]; then
		echo "--- mockftpd log (last 40 lines)" >&2
		tail -n 40 "$WORK/server.log" >&2 || true
	fi
	"${B[@]}" rm --all >/dev/null 2>&1 || true
	if [ "${KEEP:-}" = 1 ]; then
		echo "kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	echo "docker-check: $([ $rc -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - T0))s" >&2
}
trap cleanup EXIT

# -------------------------------------------------- 2. builder base image
BASE=docker.io/library/golang:1.26-bookworm
say "base image $BASE from $GOROOT_HOST, busybox and CA certificates"
ctr=$("${B[@]}" from scratch)
mnt=$("${B[@]}" mount "$ctr")
mkdir -p "$mnt"/{bin,etc/ssl/certs,root,go,usr/local,tmp}
chmod 1777 "$mnt/tmp"
cp /bin/busybox "$mnt/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$mnt/bin/$applet"
done
# Go as in the official image, less its own tests and API lists.
tar -C "$(dirname "$GOROOT_HOST")" --exclude=go/test --exclude=go/api --exclude=go/doc \
	-cf - "$(basename "$GOROOT_HOST")" | tar -C "$mnt/usr/local" -xf -
[ "$(basename "$GOROOT_HOST")" = go ] || mv "$mnt/usr/local/$(basename "$GOROOT_HOST")" "$mnt/usr/local/go"
cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$mnt/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$mnt/etc/group"
printf 'hosts: files dns\n' >"$mnt/etc/nsswitch.conf"
"${B[@]}" umount "$ctr" >/dev/null
"${B[@]}" config \
	--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--env GOPATH=/go --env GOTOOLCHAIN=local --env HOME=/root \
	--workingdir /go --cmd /bin/sh "$ctr"
"${B[@]}" commit --quiet --rm "$ctr" "$BASE" >/dev/null
"${B[@]}" run --isolation chroot --network host "$("${B[@]}" from --pull=never "$BASE")" -- go version ||
	die "the base image cannot run go"

# ------------------------------------------------------- 3. the Dockerfile
IMAGE=localhost/mockftpd:check
say "buildah build -t $IMAGE (Dockerfile; modules from $(go env GOPROXY))"
build_args=()
for v in GOPROXY GOSUMDB GOPRIVATE GONOSUMDB GOFLAGS; do
	build_args+=(--build-arg "$v=$(go env "$v")")
done
tb=$(date +%s)
"${B[@]}" build --isolation chroot --network host --pull=never --format docker \
	"${build_args[@]}" --build-arg VERSION=docker-check \
	-f Dockerfile -t "$IMAGE" . || die "buildah build of the Dockerfile"
echo "built in $(($(date +%s) - tb))s"

# --------------------------------------------------- 4. the image itself
say "image checks"
run_ctr=$("${B[@]}" from --pull=never "$IMAGE")
rootfs=$("${B[@]}" mount "$run_ctr")
size=$(du -sb "$rootfs" | cut -f1)
echo "image content: $size bytes ($((size / 1024)) KiB):"
(cd "$rootfs" && find . -mindepth 1 -maxdepth 1 -printf '  %M %u:%g %9s %p\n' | sort -k4)
tmp_mode=$(stat -c %a "$rootfs/tmp")
[ "$tmp_mode" = 1777 ] || die "/tmp in the image has mode $tmp_mode, want 1777"
"${B[@]}" umount "$run_ctr" >/dev/null
[ "$size" -lt $((20 * 1000 * 1000)) ] || die "the image holds $size bytes, over 20 MB"
user=$("${B[@]}" inspect --type image --format '{{.Docker.Config.User}}' "$IMAGE")
[ "$user" = "65532:65532" ] || die "image user is '$user', want 65532:65532"
hc=$("${B[@]}" inspect --type image --format '{{.Docker.Config.Healthcheck}}' "$IMAGE")
case "$hc" in *healthcheck*) ;; *) die "no HEALTHCHECK in the image config (got '$hc')" ;; esac
ports=$("${B[@]}" inspect --type image --format '{{.Docker.Config.ExposedPorts}}' "$IMAGE")
# buildah keeps a range as written; Docker lists each port.
for p in 2121/tcp 8021/tcp "30000(-30009)?/tcp" "30009/tcp|30000-30009/tcp"; do
	grep -Eq "(^|[[ ])($p):" <<<"$ports" || die "port $p not exposed (got $ports)"
done
echo "user $user; healthcheck $hc; exposed $ports"

# With the image's defaults (admin API on 0.0.0.0:8021) and no token,
# mockftpd must refuse to start, before it listens on anything.
set +e
out=$("${B[@]}" run --isolation chroot --network host "$run_ctr" -- /mockftpd 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] && grep -q MOCKFTPD_ADMIN_TOKEN <<<"$out" ||
	die "without a token the image should refuse to start with exit code 2 naming MOCKFTPD_ADMIN_TOKEN; got $rc: $out"
echo "no token: refused as it should: $out"
"${B[@]}" run --isolation chroot --network host "$run_ctr" -- /mockftpd version
# The scenario library is part of the binary.
lib=$("${B[@]}" run --isolation chroot --network host "$run_ctr" -- /mockftpd scenarios)
for name in disk-full-second-upload busy-file codes/452-stor data/slow-link-64kbps; do
	grep -q "^$name " <<<"$lib" || die "mockftpd scenarios in the image does not list $name: $lib"
done
echo "mockftpd scenarios in the image: $(($(wc -l <<<"$lib") - 1)) built-in scenarios"

# ------------------------------------------------------------- 5. run it
# Free loopback ports, away from the image's defaults: one for FTP, one for
# the admin API and ten in a row for passive transfers.
in_use() { ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q . ; }
pick_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 9000))
		in_use "$p" || { echo "$p"; return; }
	done
	die "no free port"
}
FTP_PORT=$(pick_port)
ADMIN_PORT=$(pick_port)
while [ "$ADMIN_PORT" = "$FTP_PORT" ]; do ADMIN_PORT=$(pick_port); done
PASV_START=""
for _ in $(seq 200); do
	s=$((31000 + RANDOM % 9000)) ok=1
	for i in $(seq 0 9); do in_use $((s + i)) && { ok=0; break; }; done
	[ $ok = 1 ] && { PASV_START=$s; break; }
done
[ -n "$PASV_START" ] || die "no free passive port range"
TOKEN="check-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
API="http://127.0.0.1:$ADMIN_PORT/api"
say "run: FTP 127.0.0.1:$FTP_PORT, admin $API, passive $PASV_START-$((PASV_START + 9))"

# buildah run keeps the container's config (user 65532, the MOCKFTPD_
# defaults); -e overrides what a test on this machine needs. The process is
# ended by signalling buildah, which passes the signal on.
"${B[@]}" run --isolation chroot --network host \
	--env MOCKFTPD_LISTEN="127.0.0.1:$FTP_PORT" \
	--env MOCKFTPD_ADMIN="127.0.0.1:$ADMIN_PORT" \
	--env MOCKFTPD_ADMIN_TOKEN="$TOKEN" \
	--env MOCKFTPD_PASSIVE_PORTS="$PASV_START-$((PASV_START + 9))" \
	--env MOCKFTPD_PUBLIC_HOST=127.0.0.1 \
	--env MOCKFTPD_SCENARIO=builtin:disk-full-second-upload \
	"$run_ctr" -- /mockftpd >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 100); do
	curl -fsS -m 2 "$API/health" >/dev/null 2>&1 && break
	kill -0 "$SERVER_PID" 2>/dev/null || die "mockftpd exited at start"
	[ "$i" -lt 100 ] || die "the admin API did not answer within 10s"
	sleep 0.1
done
# buildah run does not pass signals on (it SIGKILLs its child when it is
# signalled), so the check finds mockftpd itself among buildah's
# descendants, to read its uid and to stop it with SIGTERM as docker stop
# would.
descendants() {
	local c
	for c in $(pgrep -P "$1" || true); do
		echo "$c"
		descendants "$c"
	done
}
MOCKFTPD_PID=""
for p in $(descendants "$SERVER_PID"); do
	if [ "$(readlink "/proc/$p/root" 2>/dev/null)" != / ] && grep -q mockftpd "/proc/$p/cmdline" 2>/dev/null; then
		MOCKFTPD_PID=$p
	fi
done
[ -n "$MOCKFTPD_PID" ] || die "cannot find the mockftpd process under buildah run ($SERVER_PID)"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$MOCKFTPD_PID/status")
[ "$uid" = 65532 ] || die "mockftpd runs as uid $uid, want 65532"
echo "up; mockftpd is pid $MOCKFTPD_PID, uid $uid, chrooted in the image"

api() { curl -sS -m 10 -H "Authorization: Bearer $TOKEN" "$@"; }

say "README: the built-in disk-full-second-upload (curl -T twice: 0, then 25 with 452)"
grep -q '"scenario":"disk-full-second-upload"' "$WORK/server.log" || die "the image does not serve builtin:disk-full-second-upload"
printf 'notes\n' >"$WORK/notes.txt"
curl -sS -m 10 -T "$WORK/notes.txt" "ftp://127.0.0.1:$FTP_PORT/" --user demo:demo || die "first upload (curl exit $?)"
set +e
out=$(curl -sS -m 10 -T "$WORK/notes.txt" "ftp://127.0.0.1:$FTP_PORT/" --user demo:demo 2>&1)
rc=$?
set -e
[ $rc = 25 ] && grep -q 452 <<<"$out" || die "second upload: curl exit $rc ($out), want 25 with 452"
echo "first upload stored; second: $out"

say "FTP session: login, STOR, LIST, RETR (docker/smoke, jlaffaye/ftp)"
go build -o "$WORK/smoke" ./docker/smoke || die "building docker/smoke"
"$WORK/smoke" -addr "127.0.0.1:$FTP_PORT" || die "FTP round trip"
body=$(api "$API/files/smoke/hello.bin" -o /dev/null -w '%{http_code} %{size_download}')
[ "$body" = "200 65536" ] || die "GET /api/files/smoke/hello.bin: $body, want 200 65536"
echo "GET /api/files/smoke/hello.bin: $body"

say "live page: /ui/ and its files answer without the token, its data with it"
page=$(curl -sS -m 10 -w '\n%{http_code} %{content_type}' "http://127.0.0.1:$ADMIN_PORT/ui/")
tail -n1 <<<"$page" | grep -q '^200 text/html' && grep -q 'data-token="required"' <<<"$page" ||
	die "GET /ui/: $(tail -n1 <<<"$page"), want 200 text/html asking for the token"
! grep -q 'data-session=' <<<"$page" || die "GET /ui/ without the token lists sessions"
grep -q 'data-session="1"' <<<"$(api "http://127.0.0.1:$ADMIN_PORT/ui/")" || die "GET /ui/ with the token lists no session"
for f in app.js app.css icon.svg; do
	code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/ui/$f")
	[ "$code" = 200 ] || die "GET /ui/$f: $code"
done
code=$(api -o /dev/null -w '%{http_code}' "$API/sessions")
[ "$code" = 200 ] || die "GET /api/sessions: $code"
line=$(api -N -m 3 "$API/events" 2>/dev/null | head -n1 || true)
grep -q '"type":"reset"' <<<"$line" || die "GET /api/events did not start with a reset: $line"
echo "GET /ui/: the page; with the token it lists the sessions; /api/events streams"

say "admin API: 401 without the token"
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "$API/scenario")
[ "$code" = 401 ] || die "GET /api/scenario without a token: $code, want 401"
echo "GET /api/scenario without a token: 401"

say "admin API: PUT /api/scenario (STOR answers 452)"
cat >"$WORK/disk-full.yaml" <<'YAML'
version: 1
name: disk full
rules:
  - name: disk full
    when: {command: STOR}
    reply: 452 Insufficient storage space
expect:
  - {command: STOR, at_least: 1}
YAML
out=$(api -X PUT --data-binary @"$WORK/disk-full.yaml" -H 'Content-Type: application/yaml' \
	-w '\n%{http_code}' "$API/scenario")
[ "$(tail -n1 <<<"$out")" = 200 ] || die "PUT /api/scenario: $out"
echo "$out" | head -n -1
bad=$(api -X PUT --data-binary $'version: 1\nrules:\n  - whne: {command: STOR}\n' -H 'Content-Type: application/yaml' \
	-w '\n%{http_code}' "$API/scenario")
[ "$(tail -n1 <<<"$bad")" = 400 ] && grep -q '<scenario>:3:5' <<<"$bad" || die "a bad scenario should get 400 with a located error: $bad"
echo "a bad scenario gets 400 with '<scenario>:3:5: ...'; the good one stays"
code=$(api -o /dev/null -w '%{http_code}' -X POST --data-binary 'when: {command: STOR}' "$API/rules")
[ "$code" = 415 ] || die "POST /api/rules as a form (curl's default type): $code, want 415"
echo "a write typed as a form (what web pages can send) gets 415"

say "FTP: STOR now gets 452"
"$WORK/smoke" -addr "127.0.0.1:$FTP_PORT" -file /smoke/second.bin -expect-stor 452 || die "STOR did not get 452"

say "admin API: the journal shows the 452"
journal=$(api "$API/journal?command=STOR")
grep -q '"452 Insufficient storage space"' <<<"$journal" || die "no 452 in GET /api/journal?command=STOR: $journal"
grep -q '"rule": "disk full"' <<<"$journal" || die "the journal does not name the rule: $journal"
grep -o '"replies": \[[^]]*\]' <<<"$(tr -d '\n' <<<"$journal")" | sed 's/  */ /g'
code=$(api -o /dev/null -w '%{http_code}' "$API/verify")
[ "$code" = 200 ] || die "GET /api/verify: $code, want 200"
echo "GET /api/verify: 200"

say "healthcheck inside the image"
"${B[@]}" run --isolation chroot --network host \
	--env MOCKFTPD_ADMIN="127.0.0.1:$ADMIN_PORT" --env MOCKFTPD_ADMIN_TOKEN="$TOKEN" \
	"$run_ctr" -- /mockftpd healthcheck || die "mockftpd healthcheck (admin API) exited with $?"
"${B[@]}" run --isolation chroot --network host \
	--env MOCKFTPD_ADMIN= --env MOCKFTPD_LISTEN="127.0.0.1:$FTP_PORT" \
	"$run_ctr" -- /mockftpd healthcheck || die "mockftpd healthcheck (FTP) exited with $?"
set +e
"${B[@]}" run --isolation chroot --network host \
	--env MOCKFTPD_ADMIN="127.0.0.1:$FTP_PORT" --env MOCKFTPD_LISTEN= \
	"$run_ctr" -- /mockftpd healthcheck -timeout 2s >/dev/null 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || die "mockftpd healthcheck against a port that is not the admin API exited 0"
echo "healthcheck: 0 when up, $rc against the wrong port"

say "stop (SIGTERM)"
kill -TERM "$MOCKFTPD_PID"
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$SERVER_PID" 2>/dev/null || die "mockftpd did not stop on SIGTERM within 10s"
set +e
wait "$SERVER_PID"
rc=$?
set -e
SERVER_PID=""
[ $rc -eq 0 ] && grep -q '"msg":"stopped"' "$WORK/server.log" || die "mockftpd did not stop cleanly (exit $rc)"
echo "stopped cleanly (exit $rc)"
! ss -Htan "( sport = :$FTP_PORT or sport = :$ADMIN_PORT )" | grep -q LISTEN || die "ports still open after stop"

say "all checks passed: image $((size / 1024)) KiB, in $(($(date +%s) - T0))s"

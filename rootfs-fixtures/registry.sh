#!/usr/bin/env bash
# registry.sh start DIR [FIXTURES] | stop DIR
#
# start: runs Debian's docker-registry on a free 127.0.0.1 port with its config, storage and
# log under DIR, pushes the fixture OCI images with skopeo and prints the port. FIXTURES is a
# directory holding the busybox/ and multilayer/ layouts (tests/images/build-fixtures.sh);
# without it they are built into DIR/fixtures. Pushed:
#   berth/busybox:1      berth/multilayer:1
#   berth/multiarch:1    an OCI index: busybox as linux/amd64, multilayer as linux/arm64/v8
# With BERTH_REGISTRY_AUTH=basic in the environment (not REGISTRY_*: docker-registry reads
# those as config overrides) the registry wants Basic auth (htpasswd; user
# "berth", password "berth-secret") and only berth/busybox:1 is pushed.
# With BERTH_REGISTRY_AUTH=token it wants Bearer tokens instead (docker's token auth) from
# BERTH_REGISTRY_TOKEN_REALM for service BERTH_REGISTRY_TOKEN_SERVICE, signed by issuer
# BERTH_REGISTRY_TOKEN_ISSUER with a key whose certificate chains to the PEM bundle
# BERTH_REGISTRY_TOKEN_ROOTCERTS; the push logs in with the same user and password.
# With BERTH_REGISTRY_TLS_CERT and BERTH_REGISTRY_TLS_KEY it serves HTTPS with them; the push
# trusts the CA in BERTH_REGISTRY_TLS_CA (verification stays on).
# stop: kills the registry by the PID in DIR/registry.pid. Nothing listens beyond loopback.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
die() { echo "registry: $*" >&2; exit 1; }
usage() { echo "usage: $0 start DIR [FIXTURES] | stop DIR" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
CMD=$1
DIR=$2

stop() {
    [[ -f $DIR/registry.pid ]] || return 0
    local pid
    pid=$(cat "$DIR/registry.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f -- "$DIR/registry.pid"
}

# start_on PORT: 0 once the registry listens, 1 if it died (port taken).
start_on() {
    local port=$1
    cat > "$DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    if [[ -n ${BERTH_REGISTRY_TLS_CERT:-} ]]; then
        printf '  tls:\n    certificate: %s\n    key: %s\n' "$BERTH_REGISTRY_TLS_CERT" \
            "$BERTH_REGISTRY_TLS_KEY" >> "$DIR/config.yml"
    fi
    if [[ ${BERTH_REGISTRY_AUTH:-} == token ]]; then
        printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
            "$BERTH_REGISTRY_TOKEN_REALM" "$BERTH_REGISTRY_TOKEN_SERVICE" \
            "$BERTH_REGISTRY_TOKEN_ISSUER" "$BERTH_REGISTRY_TOKEN_ROOTCERTS" >> "$DIR/config.yml"
    fi
    if [[ ${BERTH_REGISTRY_AUTH:-} == basic ]]; then
        # bcrypt of "berth-secret", made once (python3 crypt, METHOD_BLOWFISH): a test password.
        printf '%s\n' 'berth:$2b$10$zqdZ.Ibjl1yBOxrGKVDOVuefVVyZMm9QRcmWQNtKJUbt24e.s.ETq' \
            > "$DIR/htpasswd"
        printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$DIR/htpasswd" \
            >> "$DIR/config.yml"
    fi
    : > "$DIR/registry.log"
    # setsid: a test's process group signal must not be what stops it; stop() does.
    setsid /usr/bin/docker-registry serve "$DIR/config.yml" >>"$DIR/registry.log" 2>&1 &
    echo $! > "$DIR/registry.pid"
    for _ in $(seq 100); do
        if ! kill -0 "$(cat "$DIR/registry.pid")" 2>/dev/null; then
            rm -f "$DIR/registry.pid"
            # Only a taken port is worth another try; anything else is a real failure.
            grep -q "address already in use" "$DIR/registry.log" && return 1
            die "docker-registry failed: $(grep -m3 -E 'panic|level=fatal' "$DIR/registry.log")"
        fi
        grep -q "listening on 127.0.0.1:$port" "$DIR/registry.log" && return 0
        sleep 0.1
    done
    stop
    die "docker-registry did not start: $(tail -5 "$DIR/registry.log")"
}

# multiarch_layout OUT: a layout whose tag names an index over both fixtures.
multiarch_layout() {
    local out=$1 bb=$2 ml=$3 entry idx hex size
    mkdir -p "$out/blobs/sha256"
    cp -n "$bb"/blobs/sha256/* "$ml"/blobs/sha256/* "$out/blobs/sha256/"
    entry() {  # LAYOUT ARCH [VARIANT]
        local d s
        d=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$1/index.json" | head -1 | cut -d\" -f4)
        s=$(grep -o '"size":[0-9]*' "$1/index.json" | head -1 | cut -d: -f2)
        printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"%s}}' \
            "$d" "$s" "$2" "${3:+,\"variant\":\"$3\"}"
    }
    idx=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
        "$(entry "$bb" amd64)" "$(entry "$ml" arm64 v8)")
    printf '%s' "$idx" > "$out/idx"
    hex=$(sha256sum "$out/idx" | cut -d' ' -f1)
    size=$(stat -c %s "$out/idx")
    mv "$out/idx" "$out/blobs/sha256/$hex"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
        "$hex" "$size" > "$out/index.json"
}

case $CMD in
stop) stop ;;
start)
    for tool in /usr/bin/docker-registry skopeo; do
        command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh)"
    done
    mkdir -p "$DIR/storage"
    stop
    FIX=${3:-}
    if [[ -z $FIX ]]; then
        FIX=$DIR/fixtures
        [[ -d $FIX/busybox ]] || bash "$HERE/oci-image.sh" busybox "$FIX/busybox" >&2
        [[ -d $FIX/multilayer ]] || bash "$HERE/oci-image.sh" multilayer "$FIX/multilayer" >&2
    fi
    started=
    for _ in $(seq 20); do
        PORT=$((20000 + RANDOM % 30000))
        if start_on "$PORT"; then started=1; break; fi
    done
    [[ -n $started ]] || die "no free port: $(tail -5 "$DIR/registry.log")"
    trap 'stop' ERR
    rm -rf -- "$DIR/multiarch"
    multiarch_layout "$DIR/multiarch" "$FIX/busybox" "$FIX/multilayer"
    # --preserve-digests: skopeo would gzip the plain layer, and the pulled image must be
    # byte-identical to the layout (the tests compare it with a `load`).
    TLS=(--dest-tls-verify=false)
    if [[ -n ${BERTH_REGISTRY_TLS_CERT:-} ]]; then
        # skopeo reads *.crt in a cert dir as CAs (and would take *.key for client keys).
        mkdir -p "$DIR/push-certs"
        cp "$BERTH_REGISTRY_TLS_CA" "$DIR/push-certs/ca.crt"
        TLS=(--dest-cert-dir "$DIR/push-certs")
    fi
    push() {
        skopeo copy -q --preserve-digests "${TLS[@]}" "$@" >&2 || die "skopeo copy $* failed"
    }
    if [[ ${BERTH_REGISTRY_AUTH:-} == basic || ${BERTH_REGISTRY_AUTH:-} == token ]]; then
        push --dest-creds berth:berth-secret "oci:$FIX/busybox:1" \
            "docker://127.0.0.1:$PORT/berth/busybox:1"
        echo "$PORT"
        exit 0
    fi
    push "oci:$FIX/busybox:1" "docker://127.0.0.1:$PORT/berth/busybox:1"
    push "oci:$FIX/multilayer:1" "docker://127.0.0.1:$PORT/berth/multilayer:1"
    push --all "oci:$DIR/multiarch:1" "docker://127.0.0.1:$PORT/berth/multiarch:1"
    echo "$PORT"
    ;;
*) usage ;;
esac

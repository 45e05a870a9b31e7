#!/usr/bin/env bash
# registry-tls-token-test.sh BERTH TOKEN_SERVER REGISTRY_SH
#
# berth against Debian's docker-registry serving HTTPS with a throwaway CA and docker's token
# auth (auth.token: realm, service, issuer, rootcertbundle), the tokens coming from
# registry_token_server (RS256 JWTs with x5c, Basic credentials required) over HTTPS too:
#   - an untrusted certificate is a clear error naming where the CA goes (and --insecure,
#     the only way around it, works when asked);
#   - a certificate for another host name is refused;
#   - with the CA in <certs-dir>/127.0.0.1:PORT/ca.crt: a pull without credentials is refused
#     by the token service, `berth login` with a wrong password is refused and saves nothing,
#     the right one succeeds (its Basic credentials reach the realm), and the pull then runs
#     the whole Bearer flow (401 challenge -> token for repository:berth/busybox:pull ->
#     retry) and gives the fixture's image ID.
# Everything listens on 127.0.0.1 only and is stopped by PID at exit.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 BERTH TOKEN_SERVER REGISTRY_SH" >&2; exit 2; }
BERTH=$(realpath -- "$1")
TOKEN_SERVER=$(realpath -- "$2")
REGISTRY_SH=$(realpath -- "$3")
WORK=$(mktemp -d /tmp/berth-tls-token.XXXXXX)
TOKEN_PID=
cleanup() {
    local rc=$?
    bash "$REGISTRY_SH" stop "$WORK/registry" || true
    if [[ -n $TOKEN_PID ]]; then kill "$TOKEN_PID" 2>/dev/null || true; wait "$TOKEN_PID" 2>/dev/null || true; fi
    rm -rf -- "$WORK"
    exit "$rc"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok   $*"; }
# expect_fail WHAT NEEDLE CMD...: CMD must exit non-zero with NEEDLE in its one-line stderr.
expect_fail() {
    local what=$1 needle=$2 rc=0
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    if [[ $rc == 0 ]]; then fail "$what: succeeded"; return; fi
    if [[ $(cat "$WORK/err") != *"$needle"* ]]; then fail "$what: stderr lacks '$needle': $(cat "$WORK/err")"; return; fi
    [[ $(wc -l < "$WORK/err") == 1 ]] || fail "$what: error is not one line: $(cat "$WORK/err")"
    ok "$what: $(cat "$WORK/err")"
}

# --- a throwaway CA, a server certificate for 127.0.0.1, a token signing key + certificate
PKI=$WORK/pki
mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$PKI/server.key" -out "$PKI/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > "$PKI/ext"
openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 2 -extfile "$PKI/ext" -out "$PKI/server.crt" 2>/dev/null
# The registry trusts tokens whose x5c chains to rootcertbundle: here the signing cert itself.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth test token signer" \
    -keyout "$PKI/token.key" -out "$PKI/token.crt" 2>/dev/null

# --- the token service, then the registry pointing at it
"$TOKEN_SERVER" --port-file "$WORK/token.port" --tls-cert "$PKI/server.crt" \
    --tls-key "$PKI/server.key" --sign-key "$PKI/token.key" --sign-cert "$PKI/token.crt" \
    --issuer berth-test-issuer --service berth-test-registry --user berth \
    --password berth-secret --log "$WORK/token.log" &
TOKEN_PID=$!
for _ in $(seq 100); do [[ -s $WORK/token.port ]] && break; sleep 0.05; done
[[ -s $WORK/token.port ]] || { echo "token server did not start" >&2; exit 1; }
TOKEN_PORT=$(cat "$WORK/token.port")
REALM=https://127.0.0.1:$TOKEN_PORT/token

mkdir -p "$WORK/registry"
PORT=$(BERTH_REGISTRY_AUTH=token BERTH_REGISTRY_TOKEN_REALM=$REALM \
    BERTH_REGISTRY_TOKEN_SERVICE=berth-test-registry BERTH_REGISTRY_TOKEN_ISSUER=berth-test-issuer \
    BERTH_REGISTRY_TOKEN_ROOTCERTS=$PKI/token.crt BERTH_REGISTRY_TLS_CERT=$PKI/server.crt \
    BERTH_REGISTRY_TLS_KEY=$PKI/server.key BERTH_REGISTRY_TLS_CA=$PKI/ca.crt \
    bash "$REGISTRY_SH" start "$WORK/registry" ${BERTH_OCI_FIXTURES:+"$BERTH_OCI_FIXTURES"} | tail -1)
[[ $PORT =~ ^[0-9]+$ ]] || { echo "registry did not start" >&2; exit 1; }
HOST=127.0.0.1:$PORT
REF=$HOST/berth/busybox:1
grep -q "status=200" "$WORK/token.log" || fail "skopeo's push got no token"
FIXTURES=${BERTH_OCI_FIXTURES:-$WORK/registry/fixtures}
WANT_ID=$(grep -o '"digest":"sha256:[0-9a-f]*"' \
    "$FIXTURES/busybox/blobs/sha256/$(grep -o 'sha256:[0-9a-f]*' "$FIXTURES/busybox/index.json" | head -1 | cut -d: -f2)" |
    head -1 | cut -d\" -f4)

STORE=$WORK/store
CERTS=$WORK/certs.d
berth() { "$BERTH" --root "$STORE" "$@"; }

# --- TLS: untrusted, wrong host name, trusted
mkdir -p "$WORK/no-certs"
expect_fail "untrusted CA" "registry $HOST: https://$HOST/v2/: TLS certificate not trusted" \
    berth pull --certs-dir "$WORK/no-certs" "$REF"
grep -q "putting it in $WORK/no-certs/$HOST/ca.crt, or use --insecure" "$WORK/err" ||
    fail "untrusted CA: the error does not say where the CA goes: $(cat "$WORK/err")"
BERTH_CERTS_DIR=$WORK/no-certs expect_fail "untrusted CA (BERTH_CERTS_DIR)" \
    "TLS certificate not trusted" berth pull "$REF"
expect_fail "untrusted CA at login" "TLS certificate not trusted" \
    berth login --certs-dir "$WORK/no-certs" -u berth -p berth-secret "$HOST"
mkdir -p "$CERTS/$HOST" "$CERTS/localhost:$PORT"
cp "$PKI/ca.crt" "$CERTS/$HOST/ca.crt"
cp "$PKI/ca.crt" "$CERTS/localhost:$PORT/ca.crt"
expect_fail "certificate for another host" "TLS certificate not trusted" \
    berth pull --certs-dir "$CERTS" "localhost:$PORT/berth/busybox:1"

# --- token auth: no credentials, a wrong password, then berth login
expect_fail "pull without credentials" \
    "token from $REALM: HTTP 401 (wrong or missing credentials)" \
    berth pull --certs-dir "$CERTS" "$REF"
expect_fail "login with a wrong password" "login $HOST: token from $REALM: HTTP 401" \
    berth login --certs-dir "$CERTS" -u berth -p wrong "$HOST"
[[ ! -e $STORE/auth.json ]] || ! grep -q "$HOST" "$STORE/auth.json" ||
    fail "a refused login saved credentials"
: > "$WORK/token.log"
if out=$(berth login --certs-dir "$CERTS" -u berth -p berth-secret "$HOST" 2>&1) &&
    [[ $out == "Login Succeeded" ]]; then ok "login: $out"; else fail "login: $out"; fi
grep -q "^GET /token user=berth service=berth-test-registry scope=- status=200$" "$WORK/token.log" ||
    fail "login's Basic credentials did not reach the realm: $(cat "$WORK/token.log")"

: > "$WORK/token.log"
if out=$(berth pull --certs-dir "$CERTS" "$REF" 2>&1); then
    [[ $out == *"Image ID: $WANT_ID"* ]] || fail "pull gave another image: $out"
    ok "pull over https with a Bearer token: $(grep 'Image ID' <<<"$out")"
else
    fail "pull with saved credentials: $out"
fi
grep -q "^GET /token user=berth service=berth-test-registry scope=repository:berth/busybox:pull status=200$" \
    "$WORK/token.log" || fail "pull did not get its token from the realm: $(cat "$WORK/token.log")"
[[ $(berth image ls) == *"$REF"* ]] || fail "image ls does not show $REF"
# The registry saw berth's token and let it in (its access log names the repository).
grep -q 'berth/busybox' "$WORK/registry/registry.log" || fail "registry log has no access to berth/busybox"

# --- --insecure, only when asked: no CA needed (the token flow still runs)
berth image rm "$REF" >/dev/null
if out=$(berth pull --insecure --certs-dir "$WORK/no-certs" -q "$REF" 2>&1) && [[ $out == "$WANT_ID" ]]; then
    ok "--insecure pull without the CA: $out"
else
    fail "--insecure pull: $out"
fi

if [[ $FAILS -gt 0 ]]; then echo "$FAILS failure(s)" >&2; exit 1; fi
echo "TLS and token auth behaved"

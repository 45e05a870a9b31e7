#!/usr/bin/env bash
# hostile-layers-test.sh BERTH: `berth image load` of every image in the hostile-layer corpus
# (tests/images/hostile-layers.sh), in a scratch dir whose store sits between canary trees the
# attacks aim at. Every "reject" case must fail with one line naming the entry and the reason,
# leave no image, layer or temp dir in the store, and leave everything outside the store
# exactly as it was (paths, types, modes, owners, sizes, mtimes, link targets, link counts,
# content hashes). The "accept" cases must load, keep what they promise, and change nothing
# outside either.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 BERTH" >&2; exit 2; }
BERTH=$(realpath -- "$1")
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/berth-hostile.XXXXXX)
LOGS=$(mktemp -d /tmp/berth-hostile-logs.XXXXXX)   # outside WORK: WORK must not change
trap 'rm -rf -- "$WORK" "$LOGS"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# The canaries: the target every attack names, a sibling of the store, and files next to it.
CANARY=$WORK/canary
mkdir -p "$CANARY/dir" "$WORK/beside"
echo secret > "$CANARY/secret"
echo keep > "$CANARY/dir/file"
chmod 0640 "$CANARY/secret"
ln -s secret "$CANARY/link"
echo beside > "$WORK/beside/file"
echo top > "$WORK/top-file"

bash "$HERE/hostile-layers.sh" "$WORK/corpus" "$CANARY"
STORE=$WORK/store
mkdir -m 0700 "$STORE"

# Everything below $WORK except the store: one line per path, then a hash of every file.
snapshot() {
    (cd "$WORK" && find . -path ./store -prune -o -printf '%p %y %m %U:%G %s %T@ %n %l\n' | sort &&
        find . -path ./store -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}
BEFORE=$(snapshot)

store_is_empty() {
    local what
    for what in images layers tmp; do
        [[ -z $(find "$STORE/$what" -mindepth 1 -print -quit 2>/dev/null) ]] ||
            { echo "store $what/ not empty: $(find "$STORE/$what" -mindepth 1 | head -3)"; return 1; }
    done
}

CASES=0
while IFS='|' read -r name expect flags message; do
    CASES=$((CASES + 1))
    # shellcheck disable=SC2086  # flags are words
    if "$BERTH" --root "$STORE" image load $flags -i "$WORK/corpus/$name.image.tar" \
        >"$LOGS/out" 2>"$LOGS/err"; then rc=0; else rc=$?; fi
    err=$(cat "$LOGS/err")
    if [[ $expect == reject ]]; then
        [[ $rc != 0 ]] || { fail "$name: loaded, should be refused"; continue; }
        [[ $err == *"$message"* ]] || fail "$name: error does not say '$message': $err"
        [[ $err == *": entry "* ]] || fail "$name: error names no entry: $err"
        [[ $(wc -l < "$LOGS/err") == 1 ]] || fail "$name: error is not one line: $err"
        why=$(store_is_empty) || fail "$name: $why"
        echo "ok   $name: refused: ${err#berth: }"
    else
        [[ $rc == 0 ]] || { fail "$name: refused: $err"; continue; }
        layer=$(find "$STORE/layers" -mindepth 1 -maxdepth 1 -type d | head -1)
        case $name in
        setuid)
            [[ $(stat -c '%a %U' "$layer/bin/su") == "6755 root" ]] ||
                fail "setuid: bin/su is $(stat -c '%a %U' "$layer/bin/su"), want 6755 root"
            [[ $(stat -c %a "$STORE") == 700 ]] || fail "setuid: store root is not 0700"
            ;;
        replace-symlink)
            [[ -f $layer/x && ! -L $layer/x && $(cat "$layer/x") == replaced ]] ||
                fail "replace-symlink: x is not the replacing file"
            ;;
        esac
        "$BERTH" --root "$STORE" image rm "hostile/$name:1" >/dev/null || fail "$name: rm failed"
        why=$(store_is_empty) || fail "$name: after rm: $why"
        echo "ok   $name: accepted as documented"
    fi
    [[ $(snapshot) == "$BEFORE" ]] ||
        fail "$name: something outside the store changed: $(diff <(echo "$BEFORE") <(snapshot) | head -5)"
done < "$WORK/corpus/cases"

[[ $CASES -ge 19 ]] || fail "only $CASES cases in the corpus"
# Nothing may have reached the real root either (the attacks climb with ../ from the store).
[[ ! -e /pwned-dotdot && ! -e /secret ]] || fail "a file appeared at /"
if [[ $FAILS -gt 0 ]]; then echo "$FAILS failure(s) in $CASES cases" >&2; exit 1; fi
echo "all $CASES hostile-layer cases behaved"

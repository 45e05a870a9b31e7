#!/usr/bin/env bash
# busybox-rootfs.sh DEST_DIR
#
# Builds a small, reproducible root filesystem for OCI runtime tests from the
# Debian busybox-static package's /bin/busybox. Nothing is downloaded.
#
# DEST_DIR is created. If it already exists it must be empty, or carry the
# marker file .berth-fixture (written by this script), in which case it is
# removed and rebuilt. Anything else is refused.
#
# Environment: BUSYBOX (default /bin/busybox) - the static busybox to copy.
set -euo pipefail

usage() { echo "usage: $0 DEST_DIR" >&2; exit 2; }
[[ $# -eq 1 && -n "$1" ]] || usage

DEST=$1
BUSYBOX=${BUSYBOX:-/bin/busybox}
MARKER=.berth-fixture

die() { echo "busybox-rootfs: $*" >&2; exit 1; }

[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (apt-get install busybox-static)"
# Must be statically linked: the rootfs has no libc. Check the ELF itself
# (no PT_INTERP / dynamic section) rather than relying on file(1) being present.
if command -v readelf >/dev/null 2>&1; then
    if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'INTERP'; then
        die "$BUSYBOX is dynamically linked; install busybox-static"
    fi
elif command -v file >/dev/null 2>&1; then
    file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not statically linked"
else
    # ldd prints "not a dynamic executable" (exit 1) for static binaries
    if ldd "$BUSYBOX" >/dev/null 2>&1; then
        die "$BUSYBOX is dynamically linked; install busybox-static"
    fi
fi

# Refuse to clobber anything we did not create.
if [[ -e $DEST || -L $DEST ]]; then
    [[ -d $DEST && ! -L $DEST ]] || die "$DEST exists and is not a directory"
    if [[ -e $DEST/$MARKER ]]; then
        rm -rf -- "$DEST"
    elif [[ -n $(ls -A -- "$DEST") ]]; then
        die "$DEST exists, is not empty and was not made by this script (no $MARKER)"
    fi
fi

# Build into a sibling temp dir, then move into place, so a failure never
# leaves a half-built fixture behind carrying the marker.
PARENT=$(dirname -- "$DEST")
mkdir -p -- "$PARENT"
TMP=$(mktemp -d "$PARENT/.busybox-rootfs.XXXXXXXX")
cleanup() { [[ -n ${TMP:-} && -d $TMP ]] && rm -rf -- "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

R=$TMP/rootfs
umask 022
mkdir -p "$R"
for d in bin proc sys dev tmp etc root home/user var run; do
    mkdir -p "$R/$d"
done
chmod 1777 "$R/tmp"
chmod 0700 "$R/root"
chmod 0755 "$R/home/user"
# user's home belongs to user. Needs root; a non-root builder gets a warning and
# busybox-tar.sh maps the builder's own uid/gid to 0 in the tar.
if [[ $(id -u) -eq 0 ]]; then
    chown 1000:1000 "$R/home/user"
else
    echo "busybox-rootfs: not root: /home/user left owned by $(id -un)" >&2
fi

install -m 0755 "$BUSYBOX" "$R/bin/busybox"

# One symlink per applet in /bin (busybox --list prints bare names).
"$BUSYBOX" --list | LC_ALL=C sort -u | while IFS= read -r applet; do
    [[ -z $applet || $applet == busybox || $applet == */* ]] && continue
    ln -s busybox "$R/bin/$applet"
done

cat > "$R/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
PW
cat > "$R/etc/group" <<'GR'
root:x:0:
daemon:x:1:
nogroup:x:65534:
user:x:1000:
extra:x:2000:user
GR
chmod 0644 "$R/etc/passwd" "$R/etc/group"
rm -f "$R/etc/hostname"

: > "$R/$MARKER"
chmod 0644 "$R/$MARKER"

# Deterministic timestamps on everything (symlinks themselves too: -h).
find "$R" -depth -print0 | xargs -0 touch -h -d @0

if [[ -d $DEST ]]; then rmdir -- "$DEST"; fi   # only ever an empty dir here
mv -T -- "$R" "$DEST"
# mv keeps mtimes; the top directory's mtime is fixed above as well.
touch -h -d @0 "$DEST"
echo "busybox-rootfs: built $DEST ($(find "$DEST" | wc -l) entries)" >&2

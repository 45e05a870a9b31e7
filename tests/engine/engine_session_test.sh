#!/usr/bin/env bash
# engine_session_test.sh BIN_DIR
#
# A new user's session with the engine, end to end, as root, in a private store (--root) and
# run root (--runroot) with the busybox fixture image: run -d, ps, logs -f, exec, inspect,
# stop, start, rm; --rm leaves nothing; a read-only bind refuses writes; an OOM kill is
# reported; on-failure:3 restarts exactly 3 times; a killed monitor never leaves the state
# saying running; foreground exit codes; name conflicts; image removal refused while used.
# No pipefail: `berth ... | grep -q` may end berth with SIGPIPE, and grep's verdict is the one
# that matters.
set -eu

BIN=$(cd -- "$1" && pwd)
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/berth-engine-test.XXXXXXXX)
ROOT=$WORK/root
RUN=$WORK/run
IMAGE=berth-fixtures/busybox:1
TAG=t$$
STARTED_PIDS=()
# Containers are on the default network "bridge": names that are not containers' go to a
# loopback port nobody serves, never to the host's resolvers.
export BERTH_DNS_UPSTREAMS=127.0.0.1:9
# shellcheck source=../support/network_cleanup.sh
source "$REPO/tests/support/network_cleanup.sh"

B() { "$BIN/berth" --root "$ROOT" --runroot "$RUN" "$@"; }

cleanup() {
    set +e
    if [[ -d $ROOT/containers ]]; then
        for dir in "$ROOT"/containers/*/; do
            [[ -f $dir/container.json ]] || continue
            B rm -f "$(basename "$dir")" >/dev/null 2>&1
        done
    fi
    for pid in "${STARTED_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    # The default network the containers were on: its bridge, nft table, berth-dns.
    berth_network_cleanup "$BIN" "$ROOT" "$RUN"
    # Anything still mounted below our private root (a failed test's rootfs).
    grep " $WORK/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do
        umount -l "$m"
    done
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "--- $*"; }
expect_eq() { [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
# run_rc CMD...: the exit code, without tripping set -e
run_rc() {
    set +e
    "$@"
    local rc=$?
    set -e
    return $rc
}
rc_of() {
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    echo $?
    set -e
}
state_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$ROOT/containers/$1/state.json" "$2"; }

step "load the busybox fixture"
if [[ -n ${BERTH_OCI_FIXTURES:-} && -d $BERTH_OCI_FIXTURES/busybox ]]; then
    B image load --input "$BERTH_OCI_FIXTURES/busybox" >/dev/null
else
    bash "$REPO/rootfs-fixtures/oci-image.sh" busybox "$WORK/busybox.tar" >/dev/null 2>&1
    B image load -i "$WORK/busybox.tar" >/dev/null
fi

step "run -d, ps"
WEB=web-$TAG
ID=$(B run -d --name "$WEB" $IMAGE sh -c \
    'trap "echo bye; exit 0" TERM; i=0; while :; do echo line $i; i=$((i+1)); sleep 0.1; done')
[[ $ID =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$ID', not an ID"
B ps | grep -q "^${ID:0:12} .* Up .* $WEB\$" || fail "ps does not list $WEB as Up: $(B ps)"
B ps -q | grep -qx "${ID:0:12}" || fail "ps -q misses the container"
B ps --format json | python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert any(r['Names'] == '$WEB' and r['State'] == 'running' for r in rows), rows"

step "logs -f sees new lines"
B logs -f "$WEB" >"$WORK/follow.log" 2>&1 &
FOLLOW=$!
STARTED_PIDS+=("$FOLLOW")
sleep 0.5
first=$(grep -c '^line ' "$WORK/follow.log" || true)
sleep 0.6
second=$(grep -c '^line ' "$WORK/follow.log" || true)
((first > 0 && second > first)) || fail "logs -f did not grow: $first then $second lines"
B logs --tail 2 "$WEB" | wc -l | grep -qx 2 || fail "logs --tail 2 did not print 2 lines"
B logs --timestamps "$WEB" | head -1 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z line 0$' ||
    fail "logs --timestamps: $(B logs --timestamps "$WEB" | head -1)"

step "exec"
expect_eq "$(B exec "$WEB" sh -c 'echo $((6*7)) > /tmp/answer; cat /tmp/answer')" 42 "exec output"
expect_eq "$(rc_of B exec "$WEB" sh -c 'exit 7')" 7 "exec exit code"
expect_eq "$(rc_of B exec "$WEB" no-such-program)" 127 "exec of a missing program"
expect_eq "$(B exec -u nobody "$WEB" id -u)" 65534 "exec -u nobody (the image's passwd)"
B exec "$WEB" sh -c 'echo "staff:x:50:nobody" >> /etc/group'
expect_eq "$(B exec -u nobody "$WEB" id -G | tr ' ' '\n' | sort -n | tr '\n' ' ')" "50 65534 " \
    "exec -u gets the user's supplementary groups from the container's /etc/group"
expect_eq "$(B exec -e FOO=bar "$WEB" sh -c 'echo $FOO')" bar "exec -e"
expect_eq "$(B exec -w /etc "$WEB" pwd)" /etc "exec -w"

step "inspect --format"
PID=$(B inspect --format '{{.State.Pid}}' "$WEB")
expect_eq "$(B inspect --format '{{.State.Status}}' "${ID:0:8}")" running "State.Status by ID prefix"
[[ $PID =~ ^[0-9]+$ ]] && ((PID > 1)) || fail "State.Pid is '$PID'"
tr '\0' ' ' <"/proc/$PID/cmdline" | grep -q '^sh -c' || fail "State.Pid $PID is not the container's sh"

step "stop within the timeout"
start_ns=$(date +%s%N)
B stop -t 5 "$WEB" >/dev/null
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
((elapsed_ms < 5000)) || fail "stop took ${elapsed_ms} ms (the container exits on TERM)"
expect_eq "$(B inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' "$WEB")" \
    "exited 0 false" "state after stop"
for _ in $(seq 50); do kill -0 "$FOLLOW" 2>/dev/null || break; sleep 0.1; done
kill -0 "$FOLLOW" 2>/dev/null && fail "logs -f still follows a stopped container"
grep -q '^bye$' "$WORK/follow.log" || fail "logs -f missed the last line"
[[ -d /proc/$PID ]] && fail "the old init $PID still exists"

step "start again"
B start "$WEB" >/dev/null
PID2=$(B inspect --format '{{.State.Pid}}' "$WEB")
expect_eq "$(B inspect --format '{{.State.Status}}' "$WEB")" running "status after start"
[[ $PID2 != "$PID" ]] || fail "start reused the old pid"

step "rm refuses a running container, rm -f removes it"
expect_eq "$(rc_of B rm "$WEB")" 125 "rm of a running container"
grep -q "container is running" "$WORK/err" || fail "rm error: $(cat "$WORK/err")"
B rm -f "$WEB" >/dev/null
B ps -a | grep -q "$WEB" && fail "rm -f left $WEB listed"
[[ -e $ROOT/containers/$ID ]] && fail "rm -f left $ROOT/containers/$ID"
expect_eq "$(rc_of B inspect "$WEB")" 1 "inspect of a removed container"
grep -q "No such object: $WEB" "$WORK/err" || fail "inspect error: $(cat "$WORK/err")"

step "--rm leaves nothing"
SHORT=$(B run --rm --memory 64m --name "rm-$TAG" $IMAGE cat /etc/hostname)
[[ $SHORT =~ ^[0-9a-f]{12}$ ]] || fail "hostname '$SHORT' is not the ID prefix"
ls "$ROOT/containers" | grep -q "^$SHORT" && fail "--rm left the container directory"
ls "$ROOT/holds" | grep -q "^$SHORT" && fail "--rm left the image hold"
[[ -z $(ls "$RUN/runtime") ]] || fail "--rm left runtime state: $(ls "$RUN/runtime")"
[[ -z $(ls "$RUN/containers") ]] || fail "--rm left run state: $(ls "$RUN/containers")"
grep -q " $ROOT/" /proc/self/mounts && fail "--rm left a mount: $(grep " $ROOT/" /proc/self/mounts)"
[[ -z $(find /sys/fs/cgroup -maxdepth 6 -name "$SHORT*" 2>/dev/null) ]] || fail "--rm left a cgroup"

step "-v HOST:CTR:ro refuses writes, rw writes"
mkdir -p "$WORK/host"
echo data >"$WORK/host/f"
out=$(B run --rm -v "$WORK/host:/data:ro" $IMAGE sh -c 'cat /data/f; echo x > /data/new && echo wrote; true' 2>/dev/null)
expect_eq "$out" data "read-only bind"
[[ -e $WORK/host/new ]] && fail "a :ro bind let the container write"
B run --rm -v "$WORK/host:/data" $IMAGE sh -c 'echo rw > /data/new'
expect_eq "$(cat "$WORK/host/new")" rw "read-write bind"
expect_eq "$(rc_of B run --rm -v "relative/path:/x" $IMAGE true)" 125 "invalid -v"
grep -q "invalid -v" "$WORK/err" || fail "invalid -v error: $(cat "$WORK/err")"

step "--memory: an OOM kill shows OOMKilled"
expect_eq "$(rc_of B run --name "oom-$TAG" --memory 16m $IMAGE sh -c 'x=a; while :; do x=$x$x; done')" \
    137 "exit code of the OOM-killed container"
expect_eq "$(B inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' "oom-$TAG")" "true 137" \
    "OOMKilled"
B rm "oom-$TAG" >/dev/null
expect_eq "$(B run --rm --memory 16m $IMAGE sh -c 'echo small')" small "a container within its limit"
expect_eq "$(rc_of B run --rm --memory 1m $IMAGE true)" 125 "--memory below 6MB"
grep -q "minimum memory limit" "$WORK/err" || fail "small --memory error: $(cat "$WORK/err")"

step "--restart on-failure:3 restarts exactly 3 times"
expect_eq "$(rc_of B run --name "rs-$TAG" --restart on-failure:3 $IMAGE sh -c 'echo attempt; exit 3')" \
    3 "exit code after the restarts"
expect_eq "$(B inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "rs-$TAG")" \
    "3 exited 3" "RestartCount"
expect_eq "$(B logs "rs-$TAG" | grep -c '^attempt$')" 4 "runs logged"
B rm "rs-$TAG" >/dev/null

step "a killed monitor does not leave the state lying"
MID=$(B run -d $IMAGE sleep 1000)
MON=$(state_field "$MID" MonitorPid)
CPID=$(B inspect --format '{{.State.Pid}}' "$MID")
kill -9 "$MON"
for _ in $(seq 50); do [[ -d /proc/$MON ]] || break; sleep 0.05; done
# The container itself still runs: that is the truth, and ps says so.
expect_eq "$(B inspect --format '{{.State.Status}} {{.State.Pid}}' "$MID")" "running $CPID" \
    "state with a dead monitor and a live container"
B stop -t 1 "$MID" >/dev/null
expect_eq "$(B inspect --format '{{.State.Status}} {{.State.Running}}' "$MID")" "exited false" \
    "stop without a monitor"
B ps | grep -q "${MID:0:12}" && fail "ps lists the stopped container"
B rm "$MID" >/dev/null
grep -q " $ROOT/" /proc/self/mounts && fail "rm after a dead monitor left a mount"
# Monitor and container both killed (as by a crash): shown exited, never running.
MID=$(B run -d $IMAGE sleep 1000)
MON=$(state_field "$MID" MonitorPid)
CPID=$(B inspect --format '{{.State.Pid}}' "$MID")
kill -9 "$MON" "$CPID"
for _ in $(seq 50); do [[ -d /proc/$CPID ]] || break; sleep 0.05; done
expect_eq "$(B inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}' "$MID")" \
    "exited false 0 255" "state after monitor and container died"
B ps -a | grep "${MID:0:12}" | grep -q "Exited (255)" || fail "ps -a: $(B ps -a)"
B start "$MID" >/dev/null
expect_eq "$(B inspect --format '{{.State.Status}}' "$MID")" running "start after the crash"
B rm -f "$MID" >/dev/null

step "foreground exit codes"
expect_eq "$(rc_of B run --rm $IMAGE true)" 0 "true"
expect_eq "$(rc_of B run --rm $IMAGE sh -c 'exit 3')" 3 "exit 3"
expect_eq "$(rc_of B run --rm no-such-image:1 true)" 125 "unknown image"
grep -q "Unable to find image 'no-such-image:1'" "$WORK/err" || fail "unknown image error"
expect_eq "$(rc_of B run --rm $IMAGE /etc)" 126 "a directory as the program"
expect_eq "$(rc_of B run --rm $IMAGE no-such-program)" 127 "a missing program"
grep -q 'executable file not found' "$WORK/err" || fail "missing program error: $(cat "$WORK/err")"

step "-it: a real pty, resized with the client's terminal"
python3 "$HERE/pty_session.py" "$BIN/berth" --root "$ROOT" --runroot "$RUN" run --rm -it $IMAGE \
    sh -c 'stty size; read x; stty size; exit 5' >/dev/null || fail "run -it pty session"
expect_eq "$(printf 'echo from-stdin\nexit 4\n' | B run --rm -i $IMAGE sh; echo "rc=$?")" \
    "from-stdin
rc=4" "run -i reads stdin"
TTY_ID=$(B run -d $IMAGE sleep 1000)
expect_eq "$(script -qec "stty rows 20 cols 50; $BIN/berth --root $ROOT --runroot $RUN exec -t $TTY_ID sh -c 'tty; stty size'" /dev/null | tr -d '\r')" \
    "/dev/pts/0
20 50" "exec -t: the pty has the client's size from the first instant (process.consoleSize)"
PTY_NO_RESIZE=1 python3 "$HERE/pty_session.py" "$BIN/berth" --root "$ROOT" --runroot "$RUN" \
    exec -it "$TTY_ID" sh -c 'stty size; read x; exit 5' >/dev/null || fail "exec -it pty session"
B rm -f "$TTY_ID" >/dev/null

step "run flags reach the container"
expect_eq "$(B run --rm -w /new/dir $IMAGE pwd)" /new/dir "-w creates a missing directory"
expect_eq "$(B run --rm -u nobody:nogroup $IMAGE id)" "uid=65534(nobody) gid=65534(nogroup)" \
    "-u names from the image"
expect_eq "$(B run --rm -u 1234:55 $IMAGE id -u)" 1234 "-u numeric"
expect_eq "$(rc_of B run --rm -u no-such-user $IMAGE true)" 125 "-u unknown user"
grep -q "unable to find user no-such-user" "$WORK/err" || fail "unknown user error: $(cat "$WORK/err")"
expect_eq "$(B run --rm --hostname box1 $IMAGE sh -c 'hostname; cat /etc/hostname')" "box1
box1" "--hostname"
printf 'X=1\n# comment\nY=2\n' >"$WORK/env"
expect_eq "$(B run --rm --env-file "$WORK/env" -e Z=3 $IMAGE sh -c 'echo $X$Y$Z')" 123 "--env-file and -e"
expect_eq "$(B run --rm --entrypoint echo $IMAGE hi there)" "hi there" "--entrypoint"
expect_eq "$(B run --rm --read-only $IMAGE sh -c 'touch /x 2>/dev/null || echo refused')" refused \
    "--read-only"
expect_eq "$(B run --rm --read-only --tmpfs /scratch $IMAGE sh -c 'touch /scratch/x && echo ok')" ok \
    "--tmpfs on a read-only root"
expect_eq "$(B run --rm --ulimit nofile=2048:4096 --ulimit core=-1 $IMAGE sh -c \
    'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -c)')" "2048 4096 unlimited" "--ulimit"
expect_eq "$(rc_of B run --rm --ulimit nofile=9:3 $IMAGE true)" 125 "--ulimit soft above hard"
grep -q "soft limit is above the hard limit" "$WORK/err" || fail "--ulimit error: $(cat "$WORK/err")"
step "health checks: starting, unhealthy after the retries, healthy, timeouts, start period"
# Polls inspect until State.Health.Status is $2 (10 s at most).
wait_health() {
    local i
    for i in $(seq 1 100); do
        [[ $(B inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null) == "$2" ]] && return 0
        sleep 0.1
    done
    fail "$1 never became $2: $(B inspect --format '{{json .State.Health}}' "$1" 2>&1)"
}
B run -d --name "hc-$TAG" --health-cmd 'test -e /tmp/ok && echo fine || { echo missing; exit 1; }' \
    --health-interval 200ms --health-retries 2 $IMAGE sleep 60 >/dev/null
expect_eq "$(B inspect --format '{{.State.Health.Status}}' "hc-$TAG")" starting "health before the first check"
wait_health "hc-$TAG" unhealthy
B ps | grep -q "(unhealthy) .* hc-$TAG\$" || fail "ps does not say unhealthy: $(B ps)"
expect_eq "$(B inspect --format '{{json .State.Health.Log}}' "hc-$TAG" | python3 -c \
    'import json,sys; l=json.load(sys.stdin)[-1]; print(l["ExitCode"], l["Output"].strip())')" \
    "1 missing" "the failing check's exit code and output are logged"
B exec "hc-$TAG" touch /tmp/ok
wait_health "hc-$TAG" healthy
expect_eq "$(B inspect --format '{{.State.Health.FailingStreak}}' "hc-$TAG")" 0 "a success resets the streak"
B ps | grep -q "(healthy) .* hc-$TAG\$" || fail "ps does not say healthy: $(B ps)"
B run -d --name "hct-$TAG" --health-cmd 'sleep 10' --health-timeout 300ms --health-interval 200ms \
    --health-retries 1 $IMAGE sleep 60 >/dev/null
wait_health "hct-$TAG" unhealthy
B inspect --format '{{json .State.Health.Log}}' "hct-$TAG" | grep -q "Health check exceeded timeout (0.3s)" ||
    fail "timeout not logged: $(B inspect --format '{{json .State.Health}}' "hct-$TAG")"
B run -d --name "hcs-$TAG" --health-cmd false --health-interval 100ms --health-retries 1 \
    --health-start-period 60s $IMAGE sleep 60 >/dev/null
sleep 1
expect_eq "$(B inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' "hcs-$TAG")" \
    "starting 0" "failures in the start period do not count"
B run -d --name "hcn-$TAG" --no-healthcheck $IMAGE sleep 60 >/dev/null
B inspect "hcn-$TAG" | grep -q '"Health"' && fail "--no-healthcheck: inspect shows State.Health"
expect_eq "$(rc_of B run --rm --health-cmd true --health-interval 5x $IMAGE true)" 125 "bad --health-interval"
grep -q 'invalid --health-interval "5x"' "$WORK/err" || fail "duration error: $(cat "$WORK/err")"
# The image's HEALTHCHECK (here written by commit --change) runs unless --no-healthcheck.
B commit --change 'HEALTHCHECK --interval=200ms --retries=1 CMD ["test", "-e", "/etc/passwd"]' \
    "hcn-$TAG" "berth-test/hc-$TAG:1" >/dev/null
B run -d --name "hci-$TAG" "berth-test/hc-$TAG:1" sleep 60 >/dev/null
wait_health "hci-$TAG" healthy
expect_eq "$(B inspect --format '{{json .Config.Healthcheck.Test}}' "hci-$TAG")" '["CMD","test","-e","/etc/passwd"]' \
    "the image's HEALTHCHECK in the container's config"
B run -d --name "hcx-$TAG" --no-healthcheck "berth-test/hc-$TAG:1" sleep 60 >/dev/null
B inspect "hcx-$TAG" | grep -q '"Health"' && fail "--no-healthcheck did not turn the image's check off"
B rm -f "hc-$TAG" "hct-$TAG" "hcs-$TAG" "hcn-$TAG" "hci-$TAG" "hcx-$TAG" >/dev/null
B image rm "berth-test/hc-$TAG:1" >/dev/null

step "attach: output, stdin, exit code, signals, one client at a time"
B run -d --name "at-$TAG" $IMAGE sh -c 'sleep 0.5; for i in 1 2 3; do echo tick$i; sleep 0.1; done; exit 3' >/dev/null
expect_eq "$(B attach "at-$TAG"; echo "rc=$?")" "tick1
tick2
tick3
rc=3" "attach sees the output from then on and returns the container's exit code"
B run -d -i --name "ati-$TAG" $IMAGE sh -c 'read x; echo got $x; exit 4' >/dev/null
expect_eq "$(echo hello | B attach "ati-$TAG"; echo "rc=$?")" "got hello
rc=4" "attach sends stdin to a -i container"
B run -d --name "ats-$TAG" $IMAGE sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' >/dev/null
"$BIN/berth" --root "$ROOT" --runroot "$RUN" attach "ats-$TAG" >/dev/null 2>&1 &
ATTACHED=$!  # berth itself, not a subshell: the signal must reach it
sleep 0.5
expect_eq "$(rc_of B attach "ats-$TAG")" 125 "a second attach is refused"
grep -q "another client is attached" "$WORK/err" || fail "second attach: $(cat "$WORK/err")"
kill -TERM "$ATTACHED"
wait "$ATTACHED" && rc=0 || rc=$?
expect_eq "$rc" 9 "SIGTERM to attach reaches the container (sig-proxy), its exit code comes back"
B run -d --name "atn-$TAG" $IMAGE sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' >/dev/null
"$BIN/berth" --root "$ROOT" --runroot "$RUN" attach --sig-proxy=false "atn-$TAG" >/dev/null 2>&1 &
ATTACHED=$!
sleep 0.5
kill -TERM "$ATTACHED"
wait "$ATTACHED" && rc=0 || rc=$?
expect_eq "$rc $(B inspect --format '{{.State.Status}}' "atn-$TAG")" "143 running" \
    "--sig-proxy=false: SIGTERM ends the client, the container runs on"
expect_eq "$(rc_of B attach "at-$TAG")" 125 "attach to a stopped container"
grep -q "is not running" "$WORK/err" || fail "attach to a stopped container: $(cat "$WORK/err")"
B run -dit --name "atd-$TAG" $IMAGE sh >/dev/null
python3 "$HERE/detach_keys.py" "$BIN/berth" --root "$ROOT" --runroot "$RUN" attach "atd-$TAG" >/dev/null ||
    fail "attach + ctrl-p ctrl-q"
expect_eq "$(B inspect --format '{{.State.Status}}' "atd-$TAG")" running "the container runs on after the detach keys"
python3 "$HERE/detach_keys.py" "$BIN/berth" --root "$ROOT" --runroot "$RUN" attach "atd-$TAG" >/dev/null ||
    fail "attach again after detaching"
B rm -f "at-$TAG" "ati-$TAG" "ats-$TAG" "atd-$TAG" "atn-$TAG" >/dev/null

step "--init: berth-init is PID 1, reaps orphans, forwards stop's SIGTERM"
expect_eq "$(B run --rm --init $IMAGE sh -c 'cat /proc/1/comm; exit 7'; echo "rc=$?")" "berth-init
rc=7" "--init runs the command under berth-init and keeps its exit code"
# An orphan (the backgrounded sleep) is reparented to PID 1: plain sleep never reaps it.
B run -d --name "init-$TAG" --init $IMAGE sh -c '(sleep 0.1 &); exec sleep 60' >/dev/null
B run -d --name "noinit-$TAG" $IMAGE sh -c '(sleep 0.1 &); exec sleep 60' >/dev/null
sleep 1
expect_eq "$(B exec "noinit-$TAG" ps -o stat | grep -c Z)" 1 "without --init the orphan stays a zombie"
expect_eq "$(B exec "init-$TAG" ps -o stat | grep -c Z)" 0 "with --init the orphan is reaped"
B stop -t 30 "init-$TAG" >/dev/null
expect_eq "$(B inspect --format '{{.State.ExitCode}}' "init-$TAG")" 143 \
    "stop's SIGTERM reaches the command through berth-init (not the 30 s SIGKILL)"
B rm -f "init-$TAG" "noinit-$TAG" >/dev/null
expect_eq "$(B run --rm --cpus 0.5 --pids-limit 10 --memory 32m $IMAGE sh -c \
    'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes')" \
    "10
50000
33554432" "--pids-limit --cpus --memory in the container's cgroups"
expect_eq "$(B run --rm --cap-drop ALL $IMAGE grep CapEff /proc/self/status | tr -d '\t')" \
    "CapEff:0000000000000000" "--cap-drop ALL"
expect_eq "$(B run --rm $IMAGE grep CapEff /proc/self/status | tr -d '\t')" \
    "CapEff:00000000a80425fb" "docker's 14 default capabilities"
expect_eq "$(B run --rm --cap-add NET_ADMIN $IMAGE grep CapEff /proc/self/status | tr -d '\t')" \
    "CapEff:00000000a80435fb" "--cap-add NET_ADMIN"
expect_eq "$(B run --rm $IMAGE grep Seccomp: /proc/self/status | tr -d '\t')" "Seccomp:2" \
    "the default seccomp profile"
expect_eq "$(B run --rm --security-opt seccomp=unconfined $IMAGE grep Seccomp: /proc/self/status | tr -d '\t')" \
    "Seccomp:0" "seccomp=unconfined"
expect_eq "$(B run --rm $IMAGE ls /sys/class/net | tr '\n' ' ')" "eth0 lo " \
    "no --network: the default network bridge (eth0)"
expect_eq "$(B run --rm --network none $IMAGE ls /sys/class/net)" lo "--network none: only lo"
host_ifaces=$(ls /sys/class/net | sort | tr '\n' ' ')
expect_eq "$(B run --rm --network host $IMAGE ls /sys/class/net | sort | tr '\n' ' ')" "$host_ifaces" \
    "--network host"
expect_eq "$(rc_of B run --rm --network bridge0 $IMAGE true)" 125 "unknown network"

step "restart always, and stop ends it"
AL=$(B run -d --restart always $IMAGE sh -c 'sleep 0.1; exit 1')
for _ in $(seq 100); do
    (($(B inspect --format '{{.RestartCount}}' "$AL") >= 2)) && break
    sleep 0.1
done
(($(B inspect --format '{{.RestartCount}}' "$AL") >= 2)) || fail "restart always did not restart"
B stop -t 1 "$AL" >/dev/null
count=$(B inspect --format '{{.RestartCount}}' "$AL")
sleep 0.5
expect_eq "$(B inspect --format '{{.State.Status}} {{.RestartCount}}' "$AL")" "exited $count" \
    "no restart after stop"
B rm "$AL" >/dev/null

step "kill -s, wait, restart"
KW=$(B run -d $IMAGE sh -c 'trap "echo got-usr1" USR1; while :; do sleep 0.1; done')
sleep 0.3
B kill -s USR1 "$KW" >/dev/null
for _ in $(seq 30); do B logs "$KW" | grep -q got-usr1 && break; sleep 0.1; done
B logs "$KW" | grep -q got-usr1 || fail "kill -s USR1 did not reach the program"
OLD_PID=$(B inspect --format '{{.State.Pid}}' "$KW")
B restart -t 1 "$KW" >/dev/null
NEW_PID=$(B inspect --format '{{.State.Pid}}' "$KW")
[[ $NEW_PID != "$OLD_PID" && $(B inspect --format '{{.State.Status}}' "$KW") == running ]] ||
    fail "restart: pid $OLD_PID -> $NEW_PID"
B wait "$KW" >"$WORK/wait.out" &
WAITER=$!
STARTED_PIDS+=("$WAITER")
sleep 0.3
B kill "$KW" >/dev/null
wait "$WAITER" || fail "wait failed"
expect_eq "$(cat "$WORK/wait.out")" 137 "wait prints the exit code of the killed container"
expect_eq "$(rc_of B kill "$KW")" 125 "kill of a stopped container"
B rm "$KW" >/dev/null

step "name conflict names the holder"
DUP=$(B run -d --name "dup-$TAG" $IMAGE sleep 1000)
expect_eq "$(rc_of B run --name "dup-$TAG" $IMAGE true)" 125 "second container with a used name"
grep -q "already in use by container $DUP" "$WORK/err" || fail "conflict error: $(cat "$WORK/err")"

step "an image in use is not removed"
expect_eq "$(rc_of B image rm $IMAGE)" 1 "image rm of a used image"
grep -q "being used by container ${DUP:0:12}" "$WORK/err" || fail "image rm error: $(cat "$WORK/err")"
B rm -f "dup-$TAG" >/dev/null
B image rm $IMAGE >/dev/null
echo "PASS"

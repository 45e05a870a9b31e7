#!/usr/bin/env bash
# bench/dns.sh: dnsperf against berth-dns and against dnsmasq serving the same 1,000 A names,
# both on 127.0.0.1 high ports, alternating round by round in one run.
#
#   bash bench/dns.sh [--duration S] [--rounds N] [--names N] [--rate QPS] [--markdown FILE]
#                     [--berth 'LABEL|BINARY|ARGS']...
#
# Each round runs three passes per server, all with -c 10 and dnsperf's default -q 100:
#   1. throughput: exactly the baseline's command, dnsperf -s 127.0.0.1 -p PORT -d QUERIES
#      -l S -c 10 -S 1 (no per-query output, which would slow the client down);
#   2. latency at saturation: the same with -v. dnsperf 2.10 prints no percentiles, so its
#      per-query lines ("> NOERROR name A 0.000123") go to a file in /dev/shm and are turned into
#      p50/p99/p99.9 afterwards (1 us buckets), outside the timed run. With 100 queries always
#      outstanding this mostly measures the queue: by Little's law the mean is 100 / qps, so it
#      is reported but says more about the client than the server;
#   3. latency under load: the same with -v -Q RATE (default 20,000 qps, a load every contender
#      sustains), which measures the server's answer time rather than the client's queue.
# Server CPU per query comes from /proc/PID/stat (utime+stime) around the throughput pass.
# Client and servers share the machine's cores, so qps is a floor for both: compare ratios
# within the run.
# Each --berth adds a berth-dns contender (e.g. another build, or --threads 2, --udp-batch 1);
# without any: "berth-dns" (--threads 1) and "berth-dns-2t" (--threads 2), build/bin/berth-dns.
set -euo pipefail

duration=20
rounds=3
berths=()
names=1000
rate=20000
markdown=""
repo=$(cd "$(dirname "$0")/.." && pwd)
berth_dns="$repo/build/bin/berth-dns"
while (($#)); do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --berth) berths+=("$2"); shift 2 ;;
        --names) names=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --markdown) markdown=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "bench/dns.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in dnsperf /usr/sbin/dnsmasq dig; do
    command -v "$tool" >/dev/null || { echo "bench/dns.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
((${#berths[@]})) || berths=("berth-dns|$berth_dns|--threads 1" "berth-dns-2t|$berth_dns|--threads 2")

scratch=/dev/shm
[[ -d $scratch && -w $scratch ]] || scratch=/tmp
work=$(mktemp -d "$scratch/berth-dns-bench.XXXXXX")
chmod 755 "$work"  # dnsmasq reads the hosts file after dropping to its own user
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 30000))
        ss -Hlnu "sport = :$port" | grep -q . || ss -Hlnt "sport = :$port" | grep -q . || break
    done
    echo "$port"
}

# The same names for both servers: hostN -> 10.77.(N/250).(N%250+1).
mkdir -p "$work/records"
{
    echo '{"listen": ["127.0.0.1"], "records": ['
    for ((i = 0; i < names; i++)); do
        ((i)) && echo ','
        printf '{"name": "host%d", "ipv4": "10.77.%d.%d"}' "$i" $((i / 250)) $((i % 250 + 1))
    done
    echo ']}'
} >"$work/records/bench.json"
for ((i = 0; i < names; i++)); do
    printf '10.77.%d.%d host%d\n' $((i / 250)) $((i % 250 + 1)) "$i"
done >"$work/hosts"
for ((i = 0; i < names; i++)); do echo "host$i A"; done >"$work/queries"
: >"$work/resolv.conf"

declare -A port pid_of
start_berth() {  # $1 = 'LABEL|BINARY|ARGS'
    local name binary args p
    IFS='|' read -r name binary args <<<"$1"
    [[ -x $binary ]] || { echo "bench/dns.sh: $binary not built" >&2; exit 1; }
    p=$(free_port)
    # shellcheck disable=SC2086  # ARGS are words by design
    "$binary" --config-dir "$work/records" --port "$p" --pid-file "$work/$name.pid" \
        --resolv-conf "$work/resolv.conf" $args 2>"$work/$name.log" &
    pids+=($!)
    port[$name]=$p
    pid_of[$name]=$!
    contenders+=("$name")
}
start_dnsmasq() {
    local p
    p=$(free_port)
    /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --addn-hosts="$work/hosts" --listen-address=127.0.0.1 --bind-interfaces --port="$p" \
        --pid-file= 2>"$work/dnsmasq.log" &
    pids+=($!)
    port[dnsmasq]=$p
    pid_of[dnsmasq]=$!
    contenders+=(dnsmasq)
}
contenders=()
for spec in "${berths[@]}"; do start_berth "$spec"; done
start_dnsmasq
last=$((names - 1))
expected="10.77.$((last / 250)).$((last % 250 + 1))"
for name in "${contenders[@]}"; do
    for _ in $(seq 300); do
        got=$(dig @127.0.0.1 -p "${port[$name]}" +short +tries=1 +time=1 "host$last" 2>/dev/null || true)
        [[ $got == "$expected" ]] && break
        sleep 0.05
    done
    [[ $got == "$expected" ]] || { echo "bench/dns.sh: $name does not answer host$last" >&2; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# Percentiles of dnsperf -v output on stdin: prints "completed lost p50_us p99_us p999_us".
percentiles() {
    awk '
        /^> / { n++; b = int($5 * 1e6); h[b]++; if (b > max) max = b }
        /Queries completed:/ { done = $3 }
        /Queries lost:/ { lost = $3 }
        END {
            split("0.50 0.99 0.999", q, " ")
            for (k = 1; k <= 3; k++) {
                want = q[k] * n; c = 0
                for (b = 0; b <= max; b++) { c += h[b]; if (c >= want) { p[k] = b; break } }
            }
            printf "%d %d %d %d %d\n", done, lost, p[1], p[2], p[3]
        }'
}

# One round for one server: prints
# "qps cpu_us_per_query sat_p50 sat_p99 sat_p999 lost load_p50 load_p99 load_p999 load_lost".
measure() {
    local name=$1 out="$work/perf.out" before after qps cpu sat load
    local perf=(dnsperf -s 127.0.0.1 -p "${port[$name]}" -d "$work/queries" -l "$duration" -c 10 -S 1)
    before=$(cpu_ticks "${pid_of[$name]}")
    "${perf[@]}" >"$out" 2>&1
    after=$(cpu_ticks "${pid_of[$name]}")
    qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
    cpu=$(awk -v ticks=$((after - before)) -v hz="$hz" '/Queries completed:/ {
        printf "%.2f", $3 ? ticks / hz * 1e6 / $3 : 0 }' "$out")
    "${perf[@]}" -v >"$out" 2>&1
    sat=$(percentiles <"$out" | cut -d' ' -f2-5)
    "${perf[@]}" -v -Q "$rate" >"$out" 2>&1
    load=$(percentiles <"$out" | cut -d' ' -f2-5)
    rm -f "$out"
    # sat = "lost p50 p99 p999": reorder to the documented columns.
    read -r sat_lost sat_p50 sat_p99 sat_p999 <<<"$sat"
    read -r load_lost load_p50 load_p99 load_p999 <<<"$load"
    echo "$qps $cpu $sat_p50 $sat_p99 $sat_p999 $sat_lost $load_p50 $load_p99 $load_p999 $load_lost"
}

results="$work/results"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
    # Rotate the order every round so no contender always runs first or last.
    order=("${contenders[@]:round % ${#contenders[@]}}" "${contenders[@]:0:round % ${#contenders[@]}}")
    for name in "${order[@]}"; do
        line=$(measure "$name")
        echo "$round $name $line" | tee -a "$results" >&2
    done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
dnsmasq_qps=$(awk '$2 == "dnsmasq" {print $3}' "$results" | median)
stamp=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
report=$(
    echo "### DNS: $names A names, dnsperf -c 10 -S 1, ${duration} s per pass x $rounds rounds ($stamp, commit $commit)"
    echo
    echo "Contenders: dnsmasq 2.90 (\`--no-resolv --no-hosts --addn-hosts=HOSTS\`)$(for spec in "${berths[@]}"; do IFS='|' read -r n b a <<<"$spec"; printf '; %s = `%s %s`' "$n" "${b#"$repo"/}" "$a"; done)."
    echo
    echo "| server | median qps | vs dnsmasq | CPU us/query | p50 / p99 / p99.9 us at $rate qps | lost | p50 / p99 us at saturation (-q 100) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for name in "${contenders[@]}"; do
        col() { awk -v n="$name" -v c="$1" '$2 == n {print $c}' "$results" | median; }
        qps=$(col 3)
        printf '| %s | %.0f | %.2fx | %s | %s / %s / %s | %s | %s / %s |\n' "$name" "$qps" \
            "$(awk -v a="$qps" -v b="$dnsmasq_qps" 'BEGIN {print a / b}')" "$(col 4)" \
            "$(col 9)" "$(col 10)" "$(col 11)" "$(col 12)" "$(col 5)" "$(col 6)"
    done
    echo
    echo "- command: \`bash bench/dns.sh --duration $duration --rounds $rounds --rate $rate$(for spec in "${berths[@]}"; do printf " --berth '%s'" "${spec//$repo\//}"; done)\`"
    echo "- machine: nproc $(nproc), kernel $(uname -r), loadavg before $load_before, after $load_after"
    echo "- versions: dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -1); $(/usr/sbin/dnsmasq --version | head -1 | cut -d' ' -f1-3)"
    echo
    echo "Per round (qps; p99 us at $rate qps; p99 us at saturation):"
    echo
    echo "| round | server | qps | p99 at $rate qps | p99 saturated |"
    echo "|---:|---|---:|---:|---:|"
    awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $10, $6}' "$results"
)
echo "$report"
if [[ -n $markdown ]]; then
    { echo; echo "$report"; } >>"$markdown"
fi

#!/usr/bin/env bash
# bench/dns.sh: dnsperf against berth-dns and against dnsmasq serving the same 1,000 A names,
# both on 127.0.0.1 high ports, alternating round by round in one run.
#
#   bash bench/dns.sh [--duration S] [--rounds N] [--names N] [--markdown FILE]
#                     [--berth 'LABEL|BINARY|ARGS']...
#
# Each round runs, for every server, exactly the baseline's command
#   dnsperf -s 127.0.0.1 -p PORT -d QUERIES -l S -c 10 -S 1 -v
# (-q 100 outstanding queries, the default). dnsperf 2.10 prints no percentiles, so its -v
# per-query lines ("> NOERROR name A 0.000123") go to a file in /dev/shm and are turned into
# p50/p99/p99.9 afterwards (1 us buckets), outside the timed run. Server CPU per query comes
# from /proc/PID/stat (utime+stime) around each run. Client and servers share the machine's
# cores, so qps is a floor for both: compare ratios within the run.
# Each --berth adds a berth-dns contender (e.g. another build, or --threads 2, --udp-batch 1);
# without any: "berth-dns" (--threads 1) and "berth-dns-2t" (--threads 2), build/bin/berth-dns.
set -euo pipefail

duration=20
rounds=3
berths=()
names=1000
markdown=""
repo=$(cd "$(dirname "$0")/.." && pwd)
berth_dns="$repo/build/bin/berth-dns"
while (($#)); do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --berth) berths+=("$2"); shift 2 ;;
        --names) names=$2; shift 2 ;;
        --markdown) markdown=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
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

# One measurement: prints "qps completed lost p50_us p99_us p999_us cpu_us_per_query".
measure() {
    local name=$1 out="$work/perf.out" before after
    before=$(cpu_ticks "${pid_of[$name]}")
    dnsperf -s 127.0.0.1 -p "${port[$name]}" -d "$work/queries" -l "$duration" -c 10 -S 1 -v \
        >"$out" 2>&1
    after=$(cpu_ticks "${pid_of[$name]}")
    awk -v ticks=$((after - before)) -v hz="$hz" '
        /^> / { n++; b = int($5 * 1e6); h[b]++; if (b > max) max = b }
        /Queries per second:/ { qps = $4 }
        /Queries completed:/ { done = $3 }
        /Queries lost:/ { lost = $3 }
        END {
            split("0.50 0.99 0.999", q, " ")
            for (k = 1; k <= 3; k++) {
                want = q[k] * n; c = 0
                for (b = 0; b <= max; b++) { c += h[b]; if (c >= want) { p[k] = b; break } }
            }
            printf "%.0f %d %d %d %d %d %.2f\n", qps, done, lost, p[1], p[2], p[3],
                   done ? ticks / hz * 1e6 / done : 0
        }' "$out"
    rm -f "$out"
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
    echo "### DNS: $names A names, dnsperf -c 10 -S 1, ${duration} s x $rounds rounds ($stamp, commit $commit)"
    echo
    echo "Contenders: dnsmasq 2.90 (\`--no-resolv --no-hosts --addn-hosts=HOSTS\`)$(for spec in "${berths[@]}"; do IFS='|' read -r n b a <<<"$spec"; printf '; %s = `%s %s`' "$n" "${b#"$repo"/}" "$a"; done)."
    echo
    echo "| server | median qps | vs dnsmasq | p50 us | p99 us | p99.9 us | lost | server CPU us/query |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for name in "${contenders[@]}"; do
        col() { awk -v n="$name" -v c="$1" '$2 == n {print $c}' "$results" | median; }
        qps=$(col 3)
        printf '| %s | %.0f | %.2fx | %s | %s | %s | %s | %s |\n' "$name" "$qps" \
            "$(awk -v a="$qps" -v b="$dnsmasq_qps" 'BEGIN {print a / b}')" \
            "$(col 6)" "$(col 7)" "$(col 8)" "$(col 5)" "$(col 9)"
    done
    echo
    echo "- command: \`bash bench/dns.sh --duration $duration --rounds $rounds$(for spec in "${berths[@]}"; do printf " --berth '%s'" "${spec//$repo\//}"; done)\`"
    echo "- machine: nproc $(nproc), kernel $(uname -r), loadavg before $load_before, after $load_after"
    echo "- versions: dnsperf $(dnsperf -h 2>&1 | grep -m1 -o '[0-9][0-9.]*' || echo ?); $(/usr/sbin/dnsmasq --version | head -1 | cut -d' ' -f1-3)"
    echo
    echo "Per round (qps, p50/p99 us):"
    echo
    echo "| round | server | qps | p50 | p99 |"
    echo "|---:|---|---:|---:|---:|"
    awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $6, $7}' "$results"
)
echo "$report"
if [[ -n $markdown ]]; then
    { echo; echo "$report"; } >>"$markdown"
fi

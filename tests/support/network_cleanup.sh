# Sourced by script tests that run containers in a private store (--root ROOT): removes what
# that store's networks left on the host, also the default "bridge" network a plain
# `berth run` creates: every network (its bridge device), the nftables table berth_<hash>,
# the store's berth-dns, and /run/berth/<hash>/. Call it after the containers are removed.
# The names come from `berth-netns --root ROOT paths`, so only this store's are touched.
#
#   berth_network_cleanup BIN_DIR ROOT RUNROOT
berth_network_cleanup() {
    local bin=$1 root=$2 run=$3 line table='' pid_file='' run_dir='' net pid bridges
    [[ -d $root ]] || return 0
    while IFS= read -r line; do
        case $line in
            table=*) table=${line#table=} ;;
            dns_pid_file=*) pid_file=${line#dns_pid_file=} ;;
            run_dir=*) run_dir=${line#run_dir=} ;;
        esac
    done < <("$bin/berth-netns" --root "$root" paths 2>/dev/null)
    # Only a private store's own names: never the default store's table or /run/berth.
    [[ $table == berth_?* && $run_dir == /run/berth/?* ]] || return 0
    local B=("$bin/berth" --root "$root" --runroot "$run")
    for net in $("${B[@]}" network ls -q 2>/dev/null); do
        bridges=$("${B[@]}" network inspect "$net" 2>/dev/null |
            sed -n 's/.*"com.docker.network.bridge.name": "\(.*\)".*/\1/p')
        "${B[@]}" network rm "$net" >/dev/null 2>&1
        # A network that still had endpoints (a container left by a failure) keeps its
        # bridge: remove the device this store made.
        for br in $bridges; do ip link del "$br" 2>/dev/null; done
    done
    nft delete table ip "$table" 2>/dev/null
    if [[ -n $pid_file && -f $pid_file ]]; then
        pid=$(cat "$pid_file" 2>/dev/null)
        if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == berth-dns* ]]; then
            kill "$pid" 2>/dev/null
        fi
    fi
    rm -rf -- "$run_dir"
    return 0
}

// netattach: time to attach a container to a network and to release it again, through the
// same berth::netns API `berth run` uses: a new network namespace bind-mounted, a veth pair
// into the bridge with the peer born in the namespace, address, route, up, the IPAM record
// (flock + JSON), the berth-dns record file, the nftables table when ports are published.
//
//   netattach ITERATIONS BERTH_DNS_BINARY [PORTS(0|1)]
//
// Runs in a private network and mount namespace of its own (the host is not touched): the
// kernel work per attach is the same as on the host. Prints one line per phase:
//   attach_ms median p90 | release_ms median p90 | total_ms median
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "berth/netns/firewall.h"
#include "berth/netns/netlink.h"
#include "berth/netns/networks.h"

using namespace berth::netns;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: netattach ITERATIONS BERTH_DNS [PORTS]\n");
        return 2;
    }
    int iterations = std::stoi(argv[1]);
    bool ports = argc > 3 && std::string(argv[3]) == "1";
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
        ::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::perror("unshare");
        return 1;
    }
    Netlink().set_up("lo");
    char tmpl[] = "/tmp/berth-netattach-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    NetworksConfig config = NetworksConfig::for_root(dir + "/root");
    config.netns_dir = dir + "/netns";
    config.table = "berth_bench";
    config.dns_dir = dir + "/dns";
    config.dns_pid_file = dir + "/dns.pid";
    config.dns_daemon = argv[2];
    config.dns_upstreams = {"127.0.0.1:9"};
    int status = 0;
    {
        Networks networks(config);
        CreateRequest create;
        create.name = "bench";
        networks.create(create);
        // One long-lived endpoint: the DNS daemon is running, as it is on a busy host.
        AttachRequest keep{"keeper", "keeper", "bench", {}, {}, {}};
        networks.attach(keep);
        std::vector<double> attach, release, total;
        for (int i = 0; i < iterations; ++i) {
            std::string id = "c";
            id += std::to_string(i);  // (GCC 12 warns falsely about "c" + to_string())
            AttachRequest req{id, id, "bench", {}, {}, {}};
            if (ports)
                req.ports = {PortMapping::parse("127.0.0.1:" + std::to_string(20000 + i) + ":80")};
            auto t0 = Clock::now();
            networks.attach(req);
            auto t1 = Clock::now();
            networks.release_container(req.container_id);
            auto t2 = Clock::now();
            attach.push_back(ms(t1 - t0));
            release.push_back(ms(t2 - t1));
            total.push_back(ms(t2 - t0));
        }
        std::printf("attach_ms %.2f %.2f | release_ms %.2f %.2f | total_ms %.2f\n",
                    percentile(attach, 0.5), percentile(attach, 0.9), percentile(release, 0.5),
                    percentile(release, 0.9), percentile(total, 0.5));
        networks.release_container("keeper");
        networks.remove("bench");
    }
    ::umount2(config.netns_dir.c_str(), MNT_DETACH);
    std::filesystem::remove_all(dir);
    return status;
}

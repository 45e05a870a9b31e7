// berth-dns: the host's embedded DNS server for berth networks (see
// netns/include/berth/netns/dns_server.h and dns_records.h for the contract).
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "berth/error.h"
#include "berth/netns/dns_server.h"
#include "pid_file.h"

int main(int argc, char** argv) {
    berth::netns::DnsServerOptions options;
    std::string pid_file;
    unsigned timeout_ms = 2000;
    CLI::App app{"berth-dns: DNS for berth networks (names, aliases, PTR; forwards the rest)"};
    app.add_option("--config-dir", options.config_dir, "directory of <network>.json record files")
        ->capture_default_str();
    app.add_option("--port", options.port, "UDP and TCP port on every listen address")
        ->capture_default_str();
    app.add_option("--pid-file", pid_file, "written once serving, removed on exit");
    app.add_option("--resolv-conf", options.resolv_conf, "upstreams for networks that name none")
        ->capture_default_str();
    app.add_option("--upstream-timeout-ms", timeout_ms, "budget per forwarded query, then SERVFAIL")
        ->capture_default_str()
        ->check(CLI::Range(1u, 60000u));
    app.add_option("--threads", options.threads, "workers (0 = one per CPU)")
        ->capture_default_str();
    app.add_option("--udp-batch", options.udp_batch, "datagrams per recvmmsg/sendmmsg (benchmarks)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 64u));
    CLI11_PARSE(app, argc, argv);
    options.upstream_timeout = std::chrono::milliseconds(timeout_ms);

    // Signals are taken synchronously below; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, sig);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    // Every forwarded query in flight and every TCP client holds an fd: use the hard limit.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    try {
        if (!pid_file.empty()) berth::dns_daemon::refuse_if_running(pid_file);
        berth::netns::DnsServer server(options);
        server.start();
        if (!pid_file.empty()) berth::dns_daemon::write_pid_file(pid_file);
        std::fprintf(stderr, "berth-dns: ready on port %u (config %s)\n", options.port,
                     options.config_dir.c_str());
        for (;;) {
            int sig = 0;
            if (sigwait(&signals, &sig) != 0) continue;
            if (sig == SIGHUP) {
                server.reload();
                continue;
            }
            if (sig == SIGUSR1) {  // counters since start, one line on stderr
                auto s = server.stats();
                std::fprintf(stderr,
                             "berth-dns: stats queries=%llu local=%llu forwarded=%llu "
                             "servfail=%llu formerr=%llu dropped=%llu reloads=%llu\n",
                             static_cast<unsigned long long>(s.queries),
                             static_cast<unsigned long long>(s.answered_local),
                             static_cast<unsigned long long>(s.forwarded),
                             static_cast<unsigned long long>(s.servfail),
                             static_cast<unsigned long long>(s.formerr),
                             static_cast<unsigned long long>(s.dropped),
                             static_cast<unsigned long long>(s.reloads));
                continue;
            }
            break;
        }
        server.stop();
        if (!pid_file.empty()) berth::dns_daemon::remove_pid_file(pid_file);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "berth-dns: %s\n", e.what());
        return 1;
    }
}

// DnsServer: loads the record files, owns the workers, and watches the directory (and the
// resolv.conf) with inotify so a rewritten file is served within milliseconds.
#include "berth/netns/dns_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "berth/error.h"
#include "berth/file_io.h"
#include "dns_config_dir.h"
#include "dns_worker.h"

namespace berth::netns {

struct DnsServer::Impl {
    explicit Impl(DnsServerOptions o) : options(std::move(o)), config(options.config_dir) {}

    void load_and_swap();
    void watch_loop();

    DnsServerOptions options;
    DnsConfigDir config;
    SharedTable shared;
    std::mutex reload_mutex;
    std::uint64_t generation = 0;
    std::atomic<std::uint64_t> reloads{0};
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    std::thread watcher;
    UniqueFd inotify, control;  // control: eventfd that wakes the watcher to stop
    std::atomic<bool> stopping{false};
    bool started = false;
    std::string resolv_dir, resolv_name;
};

void DnsServer::Impl::load_and_swap() {
    std::lock_guard lock(reload_mutex);
    const auto& files = config.load();
    std::vector<std::string> upstreams;
    try {
        upstreams = parse_resolv_conf_nameservers(read_file(options.resolv_conf));
    } catch (const Error& e) {
        std::fprintf(stderr, "berth-dns: %s (no default upstreams)\n", e.what());
    }
    auto table = build_zone_table(files, upstreams, options.port, ++generation);
    std::size_t names = 0;
    for (const auto& [address, view] : table->by_address) names += view->names.size();
    {
        std::lock_guard swap(shared.mutex);
        shared.table = table;
        shared.generation.store(table->generation, std::memory_order_release);
    }
    for (auto& worker : workers) worker->wake();
    reloads.fetch_add(1);
    std::fprintf(stderr,
                 "berth-dns: serving %zu network(s) on %zu address(es), %zu names, %zu default "
                 "upstream(s) (generation %llu)\n",
                 files.size(), table->by_address.size(), names, upstreams.size(),
                 static_cast<unsigned long long>(table->generation));
}

void DnsServer::Impl::watch_loop() {
    while (!stopping.load()) {
        pollfd fds[2] = {{inotify.get(), POLLIN, 0}, {control.get(), POLLIN, 0}};
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || stopping.load()) return;
        if (!(fds[0].revents & POLLIN)) continue;
        bool relevant = false;
        alignas(inotify_event) char buffer[8192];
        // Drain everything queued (a burst of rewrites becomes one reload).
        for (;;) {
            ssize_t len = ::read(inotify.get(), buffer, sizeof buffer);
            if (len <= 0) break;
            for (char* p = buffer; p < buffer + len;) {
                auto* event = reinterpret_cast<inotify_event*>(p);
                std::string name = event->len ? event->name : "";
                if (event->mask & IN_Q_OVERFLOW)
                    relevant = true;
                else if (name.ends_with(".json") || name == resolv_name)
                    relevant = true;
                p += sizeof(inotify_event) + event->len;
            }
        }
        if (relevant) load_and_swap();
    }
}

DnsServer::DnsServer(DnsServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

DnsServer::~DnsServer() {
    stop();
}

void DnsServer::start() {
    Impl& s = *impl_;
    if (s.started) throw Error("dns server: already started");
    make_directories(s.options.config_dir);
    s.inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!s.inotify) throw_errno("inotify_init1");
    constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
    if (::inotify_add_watch(s.inotify.get(), s.options.config_dir.c_str(), kMask) < 0)
        throw_errno("inotify watch " + s.options.config_dir);
    std::filesystem::path resolv(s.options.resolv_conf);
    s.resolv_name = resolv.filename().string();
    s.resolv_dir = resolv.parent_path().empty() ? "." : resolv.parent_path().string();
    if (::inotify_add_watch(s.inotify.get(), s.resolv_dir.c_str(), kMask) < 0)
        std::fprintf(stderr, "berth-dns: cannot watch %s (%s): reload with SIGHUP\n",
                     s.resolv_dir.c_str(), describe_errno(errno).c_str());
    s.control.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!s.control) throw_errno("eventfd");

    unsigned count = s.options.threads ? s.options.threads : std::thread::hardware_concurrency();
    if (count == 0) count = 1;
    std::random_device entropy;
    for (unsigned i = 0; i < count; ++i)
        s.workers.push_back(std::make_unique<Worker>(s.options, s.shared,
                                                     (std::uint64_t{entropy()} << 32) | entropy()));
    s.load_and_swap();
    std::shared_ptr<const ZoneTable> table;
    {
        std::lock_guard lock(s.shared.mutex);
        table = s.shared.table;
    }
    // Bind every listener on this thread first so a bind failure is the caller's error.
    for (auto& worker : s.workers) worker->apply_table(table, /*strict=*/true);
    for (auto& worker : s.workers) s.threads.emplace_back([w = worker.get()] { w->run(); });
    s.watcher = std::thread([&s] { s.watch_loop(); });
    s.started = true;
}

void DnsServer::reload() {
    if (!impl_->started) throw Error("dns server: reload before start");
    impl_->load_and_swap();
}

void DnsServer::stop() {
    Impl& s = *impl_;
    if (!s.started || s.stopping.exchange(true)) return;
    std::uint64_t one = 1;
    ssize_t n = ::write(s.control.get(), &one, sizeof one);
    (void)n;
    if (s.watcher.joinable()) s.watcher.join();
    for (auto& worker : s.workers) worker->request_stop();
    for (auto& thread : s.threads) thread.join();
    s.threads.clear();
}

DnsServerStats DnsServer::stats() const {
    DnsServerStats total;
    for (const auto& worker : impl_->workers) {
        const WorkerCounters& c = worker->counters();
        total.queries += c.queries.load(std::memory_order_relaxed);
        total.answered_local += c.answered_local.load(std::memory_order_relaxed);
        total.forwarded += c.forwarded.load(std::memory_order_relaxed);
        total.servfail += c.servfail.load(std::memory_order_relaxed);
        total.formerr += c.formerr.load(std::memory_order_relaxed);
        total.dropped += c.dropped.load(std::memory_order_relaxed);
    }
    total.reloads = impl_->reloads.load();
    return total;
}

}  // namespace berth::netns

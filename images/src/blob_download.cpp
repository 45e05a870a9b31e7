#include "blob_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "berth/error.h"
#include "berth/fd.h"
#include "fs_util.h"

namespace berth::images {
namespace {

using Clock = std::chrono::steady_clock;

struct Shared {
    Shared(RegistryClient& c, std::vector<BlobJob>& j, const std::string& d, const PullOptions& o)
        : client(c), jobs(j), dir(d), options(o) {}
    RegistryClient& client;
    std::vector<BlobJob>& jobs;
    const std::string& dir;
    const PullOptions& options;
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;  // guards error, stats and the progress callback
    std::string error;
    DownloadStats stats;

    void report(const PullProgress& p) {
        if (!options.progress) return;
        std::lock_guard<std::mutex> lock(mutex);
        options.progress(p);
    }
    void fail(const std::string& message) {
        std::lock_guard<std::mutex> lock(mutex);
        if (error.empty()) error = message;
        failed = true;
    }
};

void fetch_one(Shared& s, HttpClient& http, BlobJob& job) {
    std::string what = job.what + " " + job.digest.str();
    job.staged = s.dir + "/" + job.digest.hex();
    UniqueFd out(::open(job.staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) throw_errno("create " + job.staged);
    Sha256 hash;
    uint64_t bytes = 0;
    std::string sink_error;
    Clock::time_point start = Clock::now(), last = start;
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    uint64_t total = job.size < 0 ? 0 : static_cast<uint64_t>(job.size);
    s.report({PullProgress::Kind::start, job.digest, job.what, 0, total, 0});
    // Runs inside curl's callback: it must not throw, it records why it stopped instead.
    HttpClient::Sink sink = [&](const char* data, size_t size) {
        if (s.failed) {
            sink_error = "cancelled";
            return false;
        }
        bytes += size;
        if (job.size >= 0 && bytes > static_cast<uint64_t>(job.size)) {
            sink_error = what + ": registry sent more than the " + std::to_string(job.size) +
                         " bytes of its descriptor";
            return false;
        }
        hash.update(data, size);
        try {
            write_all_fd(out.get(), data, size, job.staged);
        } catch (const std::exception& e) {
            sink_error = e.what();
            return false;
        }
        if (Clock::now() - last > std::chrono::milliseconds(100)) {
            last = Clock::now();
            s.report({PullProgress::Kind::data, job.digest, job.what, bytes, total, seconds()});
        }
        return true;
    };
    if (!s.client.blob(http, job.digest, sink)) throw Error(sink_error);
    if (job.size >= 0 && bytes != static_cast<uint64_t>(job.size))
        throw Error(what + ": registry sent " + std::to_string(bytes) + " bytes, descriptor says " +
                    std::to_string(job.size));
    Digest got = hash.finish();
    if (got != job.digest) throw Error(what + ": digest mismatch: content is " + got.str());
    s.report({PullProgress::Kind::done, job.digest, job.what, bytes, total, seconds()});
    std::lock_guard<std::mutex> lock(s.mutex);
    ++s.stats.blobs;
    s.stats.bytes += bytes;
}

void worker(Shared& s) {
    try {
        HttpClient http(s.client.tls());
        while (!s.failed) {
            size_t i = s.next++;
            if (i >= s.jobs.size()) return;
            fetch_one(s, http, s.jobs[i]);
        }
    } catch (const std::exception& e) {
        s.fail(e.what());
    }
}

}  // namespace

DownloadStats download_blobs(RegistryClient& client, std::vector<BlobJob>& jobs,
                             const std::string& staging_dir, const PullOptions& options) {
    Shared s(client, jobs, staging_dir, options);
    size_t n =
        std::min<size_t>(jobs.size(), static_cast<size_t>(std::max(1, options.max_parallel)));
    {
        std::vector<std::jthread> threads;
        for (size_t i = 0; i < n; ++i) threads.emplace_back([&s] { worker(s); });
    }  // joined here, even if creating a later thread threw
    if (s.failed) throw Error(s.error);
    return s.stats;
}

}  // namespace berth::images

// `analyze --remote`: the manifest and config come from the registry the way a pull gets
// them (remote_manifest); each layer blob is streamed by a transfer thread through a socket
// pair into the scanner, so nothing is written anywhere and memory stays at one buffer.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "analyze_input.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"
#include "berth/images/credentials.h"
#include "berth/images/reference.h"
#include "registry_client.h"
#include "remote_manifest.h"

namespace berth::images {
namespace {

constexpr int64_t kMaxConfig = 16 << 20;

// The transfer thread's curl callback pushes into one end; next() reads the other. Closing
// the reading end (destruction) makes the push fail, which stops the transfer.
class RemoteBlobStream : public ByteStream {
  public:
    RemoteBlobStream(RegistryClient& client, Digest digest, int64_t size)
        : digest_(std::move(digest)), size_(size) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw_errno("socketpair");
        read_.reset(fds[0]);
        UniqueFd write_end(fds[1]);
        thread_ = std::thread([this, &client, w = std::move(write_end)]() mutable {
            transfer(client, std::move(w));
        });
    }
    ~RemoteBlobStream() override {
        read_.reset();
        if (thread_.joinable()) thread_.join();
    }
    std::string_view next() override {
        for (;;) {
            ssize_t n = ::recv(read_.get(), buf_.data(), buf_.size(), 0);
            if (n > 0) {
                received_ += static_cast<uint64_t>(n);
                return {buf_.data(), static_cast<size_t>(n)};
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("blob " + digest_.str() + ": receive");
            break;
        }
        if (thread_.joinable()) thread_.join();
        if (!error_.empty()) throw Error(error_);
        if (received_ != static_cast<uint64_t>(size_))
            throw Error("blob " + digest_.str() + ": registry sent " + std::to_string(received_) +
                        " bytes, descriptor says " + std::to_string(size_));
        return {};
    }

  private:
    void transfer(RegistryClient& client, UniqueFd w) {
        std::string sink_error;
        uint64_t sent = 0;
        try {
            HttpClient http(client.tls());  // the registry's CAs, as pull uses
            HttpClient::Sink sink = [&](const char* data, size_t size) {
                sent += size;
                if (sent > static_cast<uint64_t>(size_)) {
                    sink_error = "blob " + digest_.str() + ": registry sent more than the " +
                                 std::to_string(size_) + " bytes of its descriptor";
                    return false;
                }
                while (size > 0) {
                    ssize_t n = ::send(w.get(), data, size, MSG_NOSIGNAL);
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) {
                        sink_error = "reader gone";  // the scan failed or finished early
                        return false;
                    }
                    data += n;
                    size -= static_cast<size_t>(n);
                }
                return true;
            };
            if (!client.blob(http, digest_, sink)) error_ = sink_error;
        } catch (const std::exception& e) {
            error_ = e.what();
        }
    }

    Digest digest_;
    int64_t size_;
    UniqueFd read_;
    std::string error_;  // written by the thread, read after join
    uint64_t received_ = 0;
    std::vector<char> buf_ = std::vector<char>(1 << 17);
    std::thread thread_;
};

std::string fetch_config(RegistryClient& client, const Descriptor& d) {
    if (d.size > kMaxConfig)
        throw Error("config " + d.digest.str() + ": " + std::to_string(d.size) +
                    " bytes is too large for a config");
    RemoteBlobStream in(client, d.digest, d.size);
    std::string text;
    for (std::string_view chunk; !(chunk = in.next()).empty();) text.append(chunk);
    if (Digest::of(text) != d.digest)
        throw Error("config " + d.digest.str() + ": digest mismatch: content is " +
                    Digest::of(text).str());
    return text;
}

ImageAnalysis analyze_remote_ref(const std::string& ref_text, const AnalyzeOptions& options) {
    Reference ref = parse_reference(ref_text);
    PullOptions po = options.remote;
    po.os = options.os;
    po.architecture = options.architecture;
    if (po.username.empty() && !options.credentials_root.empty() &&
        path_exists(credentials_path(options.credentials_root))) {
        if (auto saved = load_credentials(options.credentials_root, ref.registry)) {
            po.username = saved->username;
            po.password = saved->password;
        }
    }
    auto client = std::make_shared<RegistryClient>(ref, po);
    client->ping();
    ResolvedManifest m = resolve_manifest(*client, ref, po);
    std::string config_text = fetch_config(*client, m.manifest.config);
    check_config_platform(parse_config(config_text, "config " + m.manifest.config.digest.str()), m,
                          po);
    ImageInput input;
    input.source = "remote";
    input.reference = ref_text;
    input.id = m.manifest.config.digest;
    input.manifest = m.image.digest;
    bind_layers(input, m.manifest.layers, config_text, true, [&](size_t i) {
        Descriptor d = m.manifest.layers[i];
        return [client, d]() -> std::unique_ptr<ByteStream> {
            return std::make_unique<RemoteBlobStream>(*client, d.digest, d.size);
        };
    });
    return run_analysis(input, options);
}

}  // namespace

ImageAnalysis analyze_remote(const std::string& ref, const AnalyzeOptions& options) {
    try {
        return analyze_remote_ref(ref, options);
    } catch (const Error& e) {
        throw Error("analyze " + ref + ": " + e.what(), e.errno_value());
    }
}

}  // namespace berth::images

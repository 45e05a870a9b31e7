#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "berth/engine/container.h"
#include "berth/engine/logs.h"
#include "berth/error.h"

namespace berth::engine {
namespace {

constexpr size_t kMaxLine = 16 * 1024;  // docker's split point for endless lines

void write_all(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk loses log lines, never the container
        done += static_cast<size_t>(n);
    }
}

}  // namespace

uint64_t parse_size(const std::string& text) {
    if (text.empty()) throw Error("invalid size \"\"");
    size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
    if (digits == 0 || digits + 2 < text.size() || digits > 15)
        throw Error("invalid size \"" + text + "\" (use e.g. 64m, 512k, 1g)");
    uint64_t v = std::stoull(text.substr(0, digits));
    std::string unit = text.substr(digits);
    if (unit.size() == 2 && (unit[1] == 'b' || unit[1] == 'B')) unit.pop_back();
    if (unit.empty() || unit == "b" || unit == "B") return v;
    switch (unit[0]) {
        case 'k':
        case 'K':
            return v << 10;
        case 'm':
        case 'M':
            return v << 20;
        case 'g':
        case 'G':
            return v << 30;
    }
    throw Error("invalid size \"" + text + "\" (use e.g. 64m, 512k, 1g)");
}

LogWriter::LogWriter(std::string path, uint64_t max_size, int max_files)
    : path_(std::move(path)), max_size_(max_size), max_files_(max_files < 1 ? 1 : max_files) {
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!fd_) throw_errno("open log " + path_);
    struct stat st;
    if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
}

void LogWriter::write(const char* stream, const char* data, size_t size) {
    std::string& partial = stream[3] == 'o' ? partial_out_ : partial_err_;  // stdout / stderr
    partial.append(data, size);
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
        write_line(stream, partial.substr(start, nl + 1 - start));
        start = nl + 1;
    }
    partial.erase(0, start);
    while (partial.size() >= kMaxLine) {
        write_line(stream, partial.substr(0, kMaxLine));
        partial.erase(0, kMaxLine);
    }
}

void LogWriter::flush() {
    if (!partial_out_.empty()) write_line("stdout", partial_out_);
    if (!partial_err_.empty()) write_line("stderr", partial_err_);
    partial_out_.clear();
    partial_err_.clear();
}

void LogWriter::write_line(const char* stream, const std::string& line) {
    nlohmann::json j = {{"log", line}, {"stream", stream}, {"time", now_rfc3339_nano()}};
    // Container output is bytes, not necessarily UTF-8: invalid sequences become U+FFFD.
    std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    write_all(fd_.get(), text);
    size_ += text.size();
    if (max_size_ && size_ >= max_size_) rotate();
}

void LogWriter::rotate() {
    for (int i = max_files_ - 1; i >= 1; --i) {
        std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
        std::string to = path_ + "." + std::to_string(i);
        ::rename(from.c_str(), to.c_str());
    }
    if (max_files_ == 1) ::truncate(path_.c_str(), 0);
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    size_ = 0;
}

}  // namespace berth::engine

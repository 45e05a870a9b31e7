#include "byte_stream.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

#include "berth/error.h"

namespace berth::images {
namespace {

class FdStream : public ByteStream {
  public:
    FdStream(UniqueFd fd, std::string what) : fd_(std::move(fd)), what_(std::move(what)) {}
    std::string_view next() override {
        for (;;) {
            ssize_t n = ::read(fd_.get(), buf_.data(), buf_.size());
            if (n >= 0) return {buf_.data(), static_cast<size_t>(n)};
            if (errno != EINTR) throw_errno("read " + what_);
        }
    }

  private:
    UniqueFd fd_;
    std::string what_;
    std::vector<char> buf_ = std::vector<char>(1 << 17);
};

}  // namespace

std::unique_ptr<ByteStream> fd_stream(UniqueFd fd, std::string what) {
    return std::make_unique<FdStream>(std::move(fd), std::move(what));
}

}  // namespace berth::images

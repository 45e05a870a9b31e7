#include "unpack_stream.h"

#include <archive_entry.h>

#include <cerrno>

#include "archive_message.h"
#include "berth/error.h"

namespace berth::images {
namespace {

constexpr size_t kBuffers = 4;
constexpr size_t kBufferSize = 1 << 20;

}  // namespace

DecompressedStream::DecompressedStream(int layer_fd, uint64_t limit, const std::string& what)
    : what_(what), limit_(limit), outer_(archive_read_new(), archive_read_free) {
    if (!outer_) throw Error(what + ": libarchive allocation failed");
    archive_read_support_filter_all(outer_.get());
    archive_read_support_format_raw(outer_.get());
    if (archive_read_open_fd(outer_.get(), layer_fd, kBufferSize) != ARCHIVE_OK)
        throw Error(what + ": " + archive_message(outer_.get()));
    archive_entry* raw_entry;
    int r = archive_read_next_header(outer_.get(), &raw_entry);
    if (r == ARCHIVE_EOF) throw Error(what + ": empty layer blob");
    if (r != ARCHIVE_OK) throw Error(what + ": " + archive_message(outer_.get()));
    buffers_.assign(kBuffers, std::vector<char>(kBufferSize));
    for (size_t i = 0; i < kBuffers; ++i) free_.push_back(i);
    thread_ = std::thread([this] { produce(); });
}

DecompressedStream::~DecompressedStream() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void DecompressedStream::produce() {
    uint64_t total = 0;
    for (;;) {
        size_t buffer;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return stop_ || !free_.empty(); });
            if (stop_) return;
            buffer = free_.back();
            free_.pop_back();
        }
        la_ssize_t n = archive_read_data(outer_.get(), buffers_[buffer].data(), kBufferSize);
        Chunk chunk{Chunk::data, buffer, n > 0 ? static_cast<size_t>(n) : 0};
        std::string error;
        if (n < 0) {
            chunk.kind = Chunk::error;
            error = archive_message(outer_.get());
        } else if ((total += static_cast<uint64_t>(n)) > limit_) {
            chunk.kind = Chunk::error;
            error =
                "more than " + std::to_string(limit_) + " decompressed bytes (decompression bomb?)";
        } else if (n == 0) {
            chunk.kind = Chunk::end;
            diff_id_ = hash_.finish();
        } else {
            hash_.update(buffers_[buffer].data(), chunk.size);
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (chunk.kind == Chunk::error) error_ = error;
            full_.push_back(chunk);
        }
        changed_.notify_all();
        if (chunk.kind != Chunk::data) return;
    }
}

la_ssize_t DecompressedStream::next(archive* reader, const void** out) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (in_use_) {  // libarchive is done with the previous chunk once it asks for the next
        free_.push_back(held_);
        in_use_ = false;
        changed_.notify_all();
    }
    if (at_end_) return 0;
    changed_.wait(lock, [&] { return !full_.empty(); });
    Chunk chunk = full_.front();
    full_.pop_front();
    if (chunk.kind == Chunk::error) {
        full_.push_front(chunk);  // every later read fails the same way
        if (reader) archive_set_error(reader, EIO, "%s", error_.c_str());
        return -1;
    }
    if (chunk.kind == Chunk::end) {
        at_end_ = true;
        return 0;
    }
    in_use_ = true;
    held_ = chunk.buffer;
    *out = buffers_[chunk.buffer].data();
    return static_cast<la_ssize_t>(chunk.size);
}

la_ssize_t DecompressedStream::read(archive* reader, void* self, const void** out) {
    return static_cast<DecompressedStream*>(self)->next(reader, out);
}

Digest DecompressedStream::finish() {
    const void* out;
    la_ssize_t n;
    while ((n = next(nullptr, &out)) > 0) {
    }
    if (n < 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        throw Error(what_ + ": " + error_);
    }
    thread_.join();  // it has returned after queueing the end
    return diff_id_;
}

}  // namespace berth::images

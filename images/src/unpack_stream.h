// The decompressing half of a layer unpack, on a thread of its own: an outer libarchive
// reader (format "raw", every filter) inflates the blob into a few large buffers and hashes
// the exact tar bytes into the DiffID, while the caller's thread parses the tar and does the
// file system work. On 2 cores this overlaps inflate + SHA-256 with the syscalls, the way
// `tar -xzf` overlaps gzip with tar through a pipe. A bounded queue keeps memory flat.
#pragma once

#include <archive.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/images/digest.h"

namespace berth::images {

class DecompressedStream {
  public:
    // Opens the blob (an Error naming `what` if it is empty or not a known compression) and
    // starts the thread. More than `limit` decompressed bytes is an error (a bomb).
    DecompressedStream(int layer_fd, uint64_t limit, const std::string& what);
    ~DecompressedStream();  // stops the thread, if still running, and joins it
    DecompressedStream(const DecompressedStream&) = delete;
    DecompressedStream& operator=(const DecompressedStream&) = delete;

    // A libarchive read callback (client data = this) for the tar reader: the next chunk, 0
    // at the end, -1 with the reason set on `reader` on an error.
    static la_ssize_t read(archive* reader, void* self, const void** out);
    // Reads what the tar reader left (end-of-archive blocks, padding: part of the DiffID)
    // and returns the DiffID. Throws Error naming `what` on a decompression error.
    Digest finish();

  private:
    struct Chunk {
        enum Kind { data, end, error } kind;
        size_t buffer = 0;
        size_t size = 0;
    };
    void produce();
    la_ssize_t next(archive* reader, const void** out);

    std::string what_;
    uint64_t limit_;
    std::unique_ptr<archive, int (*)(archive*)> outer_;
    Sha256 hash_;  // producer thread only (read after join)
    Digest diff_id_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::vector<char>> buffers_;
    std::vector<size_t> free_;
    std::deque<Chunk> full_;
    std::string error_;
    bool stop_ = false;
    bool in_use_ = false;  // the consumer holds buffer `held_` (returned on the next read)
    size_t held_ = 0;
    bool at_end_ = false;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace berth::images

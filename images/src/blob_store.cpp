// Blob half of the store: nothing gets a name under blobs/ before its content hashed right.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/store.h"
#include "fs_util.h"

namespace berth::images {

std::string Store::blob_path(const Digest& d) const {
    return root_ + "/blobs/sha256/" + d.hex();
}

bool Store::has_blob(const Digest& d) const {
    struct stat st;
    return ::lstat(blob_path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Store::make_temp_dir(const std::string& stem) const {
    std::string pattern = root_ + "/tmp/" + stem + "-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp " + pattern);
    return pattern;
}

void Store::adopt_blob(const std::string& staged_path, const Digest& d) {
    if (has_blob(d)) {
        ::unlink(staged_path.c_str());
        return;
    }
    ::chmod(staged_path.c_str(), 0600);
    if (::rename(staged_path.c_str(), blob_path(d).c_str()) != 0)
        throw_errno("store blob " + d.short_str());
}

void Store::put_blob_from_fd(int fd, const Digest& expected, const std::string& what) {
    std::string tmp = root_ + "/tmp/blob-XXXXXX";
    UniqueFd out(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!out) throw_errno("create temp blob for " + what);
    Sha256 hash;
    try {
        copy_hashing(fd, out.get(), hash, what);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    Digest got = hash.finish();
    if (got != expected) {
        ::unlink(tmp.c_str());
        throw Error(what + ": digest mismatch: expected " + expected.str() + ", content is " +
                    got.str());
    }
    adopt_blob(tmp, expected);
}

Digest Store::put_blob(std::string_view data) {
    Digest d = Digest::of(data);
    if (has_blob(d)) return d;
    std::string tmp = root_ + "/tmp/blob-XXXXXX";
    UniqueFd out(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!out) throw_errno("create temp blob");
    try {
        write_all_fd(out.get(), data.data(), data.size(), tmp);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    adopt_blob(tmp, d);
    return d;
}

std::string Store::read_blob(const Digest& d, size_t max_size) const {
    UniqueFd fd(::open(blob_path(d).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) throw_errno("blob " + d.str());
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read blob " + d.str());
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > max_size)
            throw Error("blob " + d.str() + ": larger than " + std::to_string(max_size) + " bytes");
    }
    // Re-verified: a blob corrupted on disk must not be trusted as metadata.
    if (Digest::of(data) != d) throw Error("blob " + d.str() + ": content does not match digest");
    return data;
}

}  // namespace berth::images

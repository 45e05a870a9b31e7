#include "load_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "archive_message.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/store.h"
#include "fs_util.h"
#include "unpack_paths.h"

namespace berth::images {

// A link target inside the archive: "dir/" + "../x/layer.tar" -> "x/layer.tar"; climbing
// above the archive root is an error.
std::string resolve_in_archive(const std::string& dir, const std::string& target,
                               const std::string& what) {
    if (!target.empty() && target[0] == '/') throw Error(what + ": absolute link " + target);
    std::vector<std::string> out;
    std::string path = dir + target;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        std::string comp = path.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") {
            if (out.empty()) throw Error(what + ": link " + target + " leaves the archive");
            out.pop_back();
            continue;
        }
        out.push_back(comp);
    }
    return join_path(out);
}

bool record_archive_link(archive_entry* e, const std::string& tar,
                         std::map<std::string, std::string>& links) {
    const char* hard = archive_entry_hardlink(e);
    if (!hard && archive_entry_filetype(e) != AE_IFLNK) return false;
    const char* raw = archive_entry_pathname(e);
    std::string name = clean_name(raw ? raw : "", tar);
    if (hard) {
        links[name] = clean_name(hard, tar);
        return true;
    }
    size_t slash = name.rfind('/');
    std::string dir = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    const char* target = archive_entry_symlink(e);
    links[name] = resolve_in_archive(dir, target ? target : "", tar + ": " + name);
    return true;
}

std::string clean_name(const std::string& name, const std::string& what) {
    std::vector<std::string> comps = clean_entry_path(name, what + ": " + name);
    if (comps.empty()) throw Error(what + ": empty file name");
    return join_path(comps);
}

namespace {

class DirSource : public LoadSource {
  public:
    explicit DirSource(const std::string& dir)
        : dir_(dir), root_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (!root_) throw_errno("open image directory " + dir);
    }
    UniqueFd open_file(const std::string& name, bool must) {
        std::vector<std::string> comps = clean_entry_path(name, dir_ + ": " + name);
        if (comps.empty()) throw Error(dir_ + ": empty file name");
        UniqueFd parent = open_dirs(root_.get(), comps, comps.size() - 1, false, dir_);
        UniqueFd fd(
            ::openat(parent.get(), comps.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd && must) throw_errno(dir_ + ": open " + name);
        return fd;
    }
    bool has(const std::string& name) override {
        try {
            return static_cast<bool>(open_file(name, false));
        } catch (const Error&) {
            return false;
        }
    }
    std::string read(const std::string& name, size_t max) override {
        UniqueFd fd = open_file(name, true);
        std::string out;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) {
            out.append(buf, static_cast<size_t>(n));
            if (out.size() > max) throw Error(dir_ + ": " + name + " is too large");
        }
        if (n < 0) throw_errno(dir_ + ": read " + name);
        return out;
    }
    Digest digest_of(const std::string& name) override {
        UniqueFd fd = open_file(name, true);
        Sha256 hash;
        copy_hashing(fd.get(), -1, hash, dir_ + "/" + name);
        return hash.finish();
    }
    int64_t size_of(const std::string& name) override {
        struct stat st;
        if (::fstat(open_file(name, true).get(), &st) != 0) throw_errno("stat " + name);
        return st.st_size;
    }
    void put_blob(const std::string& name, const Digest& expected, Store& store) override {
        if (store.has_blob(expected)) return;
        UniqueFd fd = open_file(name, true);
        store.put_blob_from_fd(fd.get(), expected, "blob " + expected.str() + " (" + name + ")");
    }
    std::unique_ptr<ByteStream> open_stream(const std::string& name) override {
        return fd_stream(open_file(name, true), dir_ + "/" + name);
    }

  private:
    std::string dir_;
    UniqueFd root_;
};

struct Staged {
    std::string path;
    Digest digest;
    int64_t size = 0;
};

class TarSource : public LoadSource {
  public:
    TarSource(const std::string& tar, Store& store, uint64_t limit) : tar_(tar), limit_(limit) {
        staging_ = store.make_temp_dir("load");
        try {
            stage_all();
        } catch (...) {
            remove_tree(staging_);  // no destructor runs for a throwing constructor
            throw;
        }
    }
    void stage_all() {
        const std::string& tar = tar_;
        archive* a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        std::unique_ptr<archive, int (*)(archive*)> guard(a, archive_read_free);
        if (archive_read_open_filename(a, tar.c_str(), 1 << 16) != ARCHIVE_OK)
            throw Error(tar + ": " + archive_message(a));
        archive_entry* e;
        int r, counter = 0;
        std::map<std::string, std::string> links;
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
            if (record_archive_link(e, tar, links)) continue;
            const char* raw = archive_entry_pathname(e);
            std::string name = raw ? raw : "";
            if (archive_entry_filetype(e) != AE_IFREG) continue;
            std::string entry = clean_name(name, tar);
            Staged s;
            s.path = staging_ + "/" + std::to_string(++counter);
            UniqueFd out(::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (!out) throw_errno("stage " + entry);
            Sha256 hash;
            const void* block;
            size_t size;
            la_int64_t offset;
            while ((r = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK) {
                staged_bytes_ += size;
                if (staged_bytes_ > limit_)
                    throw Error(tar + ": more than " + std::to_string(limit_) +
                                " bytes of content (decompression bomb?)");
                if (::pwrite(out.get(), block, size, offset) != static_cast<ssize_t>(size))
                    throw_errno("stage " + entry);
            }
            if (r != ARCHIVE_EOF) throw Error(tar + ": " + entry + ": " + archive_message(a));
            s.size = archive_entry_size(e);
            if (::ftruncate(out.get(), s.size) != 0) throw_errno("stage " + entry);
            // Hash the file as written (sparse entries included) rather than the blocks.
            UniqueFd in(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
            copy_hashing(in.get(), -1, hash, s.path);
            s.digest = hash.finish();
            files_[entry] = s;
        }
        if (r != ARCHIVE_EOF) throw Error(tar + ": " + archive_message(a));
        // Links may chain; a bounded number of hops keeps a link loop from spinning.
        for (const auto& [name, target] : links) {
            std::string t = target;
            for (int hop = 0; hop < 8 && !files_.count(t) && links.count(t); ++hop) t = links[t];
            if (files_.count(t)) files_[name] = files_[t];
        }
    }
    ~TarSource() override {
        try {
            remove_tree(staging_);
        } catch (...) {
        }
    }
    const Staged& get(const std::string& name) {
        auto it = files_.find(clean_name(name, tar_));
        if (it == files_.end()) throw Error(tar_ + ": no file " + name + " in the archive");
        return it->second;
    }
    bool has(const std::string& name) override { return files_.count(clean_name(name, tar_)); }
    std::string read(const std::string& name, size_t max) override {
        const Staged& s = get(name);
        if (static_cast<size_t>(s.size) > max) throw Error(tar_ + ": " + name + " is too large");
        UniqueFd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open staged " + name);
        std::string out(static_cast<size_t>(s.size), '\0');
        if (::pread(fd.get(), out.data(), out.size(), 0) != s.size)
            throw_errno("read staged " + name);
        return out;
    }
    Digest digest_of(const std::string& name) override { return get(name).digest; }
    int64_t size_of(const std::string& name) override { return get(name).size; }
    void put_blob(const std::string& name, const Digest& expected, Store& store) override {
        const Staged& s = get(name);
        if (s.digest != expected)
            throw Error("blob " + expected.str() + " (" + name + " in " + tar_ +
                        "): digest mismatch: content is " + s.digest.str());
        if (store.has_blob(expected)) return;
        // Linked names share one staged file: copy so each adopt has its own to move.
        std::string copy = s.path + ".blob";
        if (::link(s.path.c_str(), copy.c_str()) != 0) throw_errno("stage " + name);
        store.adopt_blob(copy, expected);
    }
    std::unique_ptr<ByteStream> open_stream(const std::string& name) override {
        const Staged& s = get(name);
        UniqueFd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open staged " + name);
        return fd_stream(std::move(fd), tar_ + ": " + name);
    }

  private:
    std::string tar_;
    uint64_t limit_;
    uint64_t staged_bytes_ = 0;
    std::string staging_;
    std::map<std::string, Staged> files_;
};

}  // namespace

std::unique_ptr<LoadSource> open_dir_source(const std::string& dir) {
    return std::make_unique<DirSource>(dir);
}

std::unique_ptr<LoadSource> open_tar_source(const std::string& tar, Store& store, uint64_t limit) {
    return std::make_unique<TarSource>(tar, store, limit);
}

}  // namespace berth::images

// The LoadSource analyze reads archives through: nothing is staged on disk. Small files
// (indexes, manifests, configs) are kept from the listing pass; a layer is read by opening the
// archive again and stopping at its member, so several layers can be read at once.
#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <map>
#include <memory>

#include "archive_message.h"
#include "berth/error.h"
#include "load_source.h"

namespace berth::images {
namespace {

constexpr int64_t kKeepMax = 1 << 20;      // files up to this size are kept in memory
constexpr uint64_t kKeptTotal = 64 << 20;  // and no more than this in all

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

ArchivePtr open_archive(const std::string& tar) {
    ArchivePtr a(archive_read_new());
    if (!a) throw Error(tar + ": libarchive allocation failed");
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK)
        throw Error(tar + ": " + archive_message(a.get()));
    return a;
}

// One member's bytes, read from a fresh reader positioned at its header. Sparse members get
// their holes back as zeros, so the stream is the file as tar would extract it.
class MemberStream : public ByteStream {
  public:
    MemberStream(ArchivePtr a, std::string what, int64_t size)
        : a_(std::move(a)), what_(std::move(what)), size_(size) {}
    std::string_view next() override {
        if (pos_ < data_offset_) return zeros(data_offset_ - pos_);
        if (pending_ > 0) {
            std::string_view out(static_cast<const char*>(block_), pending_);
            pos_ += static_cast<int64_t>(pending_);
            pending_ = 0;
            return out;
        }
        if (done_) return pos_ < size_ ? zeros(size_ - pos_) : std::string_view();
        size_t n;
        la_int64_t offset;
        int r = archive_read_data_block(a_.get(), &block_, &n, &offset);
        if (r == ARCHIVE_EOF) {
            done_ = true;
            return next();
        }
        if (r != ARCHIVE_OK) throw Error(what_ + ": " + archive_message(a_.get()));
        if (offset < pos_) throw Error(what_ + ": data blocks out of order");
        data_offset_ = offset;
        pending_ = n;
        return next();
    }

  private:
    std::string_view zeros(int64_t n) {
        static const char zero[1 << 16] = {};
        size_t take = static_cast<size_t>(std::min<int64_t>(n, sizeof zero));
        pos_ += static_cast<int64_t>(take);
        return {zero, take};
    }
    ArchivePtr a_;
    std::string what_;
    int64_t size_, pos_ = 0, data_offset_ = 0;
    const void* block_ = nullptr;
    size_t pending_ = 0;
    bool done_ = false;
};

struct Member {
    int64_t size = 0;
    bool kept = false;
    std::string data;
};

class StreamTarSource : public LoadSource {
  public:
    explicit StreamTarSource(const std::string& tar) : tar_(tar) {
        ArchivePtr a = open_archive(tar);
        archive_entry* e;
        int r;
        uint64_t kept_total = 0;
        std::map<std::string, std::string> links;
        while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
            if (record_archive_link(e, tar, links)) continue;
            const char* raw = archive_entry_pathname(e);
            std::string name = raw ? raw : "";
            if (archive_entry_filetype(e) != AE_IFREG) continue;
            std::string entry = clean_name(name, tar);
            Member m;
            m.size = archive_entry_size(e);
            if (m.size < 0) throw Error(tar + ": " + entry + ": negative size");
            if (m.size <= kKeepMax && kept_total + static_cast<uint64_t>(m.size) <= kKeptTotal) {
                m.data.resize(static_cast<size_t>(m.size));
                la_ssize_t n = archive_read_data(a.get(), m.data.data(), m.data.size());
                if (n != m.size) throw Error(tar + ": " + entry + ": " + archive_message(a.get()));
                m.kept = true;
                kept_total += static_cast<uint64_t>(m.size);
            }
            members_[entry] = std::move(m);
            real_[entry] = entry;
        }
        if (r != ARCHIVE_EOF) throw Error(tar + ": " + archive_message(a.get()));
        // Links may chain; a bounded number of hops keeps a link loop from spinning.
        for (const auto& [name, target] : links) {
            std::string t = target;
            for (int hop = 0; hop < 8 && !members_.count(t) && links.count(t); ++hop) t = links[t];
            if (members_.count(t)) real_[name] = t;
        }
    }
    bool has(const std::string& name) override { return real_.count(clean_name(name, tar_)); }
    std::string read(const std::string& name, size_t max) override {
        const Member& m = get(name);
        if (static_cast<size_t>(m.size) > max) throw Error(tar_ + ": " + name + " is too large");
        if (m.kept) return m.data;
        std::string out;
        std::unique_ptr<ByteStream> s = open_stream(name);
        for (std::string_view chunk; !(chunk = s->next()).empty();) out.append(chunk);
        return out;
    }
    Digest digest_of(const std::string& name) override {
        const Member& m = get(name);
        if (m.kept) return Digest::of(m.data);
        Sha256 hash;
        std::unique_ptr<ByteStream> s = open_stream(name);
        for (std::string_view chunk; !(chunk = s->next()).empty();)
            hash.update(chunk.data(), chunk.size());
        return hash.finish();
    }
    int64_t size_of(const std::string& name) override { return get(name).size; }
    void put_blob(const std::string& name, const Digest&, Store&) override {
        throw Error(tar_ + ": " + name + ": this archive reader stores nothing");
    }
    std::unique_ptr<ByteStream> open_stream(const std::string& name) override {
        std::string real = real_name(name);
        ArchivePtr a = open_archive(tar_);
        archive_entry* e;
        int r;
        while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
            const char* raw = archive_entry_pathname(e);
            if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) || !raw)
                continue;
            if (clean_name(raw, tar_) == real)
                return std::make_unique<MemberStream>(std::move(a), tar_ + ": " + name,
                                                      members_.at(real).size);
        }
        throw Error(tar_ + ": " + name + ": " +
                    (r == ARCHIVE_EOF ? "gone from the archive" : archive_message(a.get())));
    }

  private:
    std::string real_name(const std::string& name) {
        auto it = real_.find(clean_name(name, tar_));
        if (it == real_.end()) throw Error(tar_ + ": no file " + name + " in the archive");
        return it->second;
    }
    const Member& get(const std::string& name) { return members_.at(real_name(name)); }

    std::string tar_;
    std::map<std::string, Member> members_;
    std::map<std::string, std::string> real_;  // name (or link) -> member name
};

}  // namespace

std::unique_ptr<LoadSource> open_tar_stream_source(const std::string& tar) {
    return std::make_unique<StreamTarSource>(tar);
}

}  // namespace berth::images

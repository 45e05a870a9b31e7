#include "layer_scan.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <memory>

#include "archive_message.h"
#include "berth/error.h"
#include "unpack_paths.h"

namespace berth::images {
namespace {

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// Both callbacks run inside libarchive: they must not throw, so failures are recorded here
// and turned into an Error by scan_layer.
struct Pipeline {
    ByteStream* in = nullptr;
    bool hash_blob = false;
    Sha256 blob_hash, tar_hash;
    uint64_t compressed = 0, tar = 0, limit = 0;
    archive* outer = nullptr;
    bool outer_eof = false, bomb = false;
    std::string source_error;
    std::vector<char> buf = std::vector<char>(1 << 17);
};

la_ssize_t read_blob(archive* a, void* client, const void** out) {
    auto* p = static_cast<Pipeline*>(client);
    try {
        std::string_view chunk = p->in->next();
        if (p->hash_blob) p->blob_hash.update(chunk.data(), chunk.size());
        p->compressed += chunk.size();
        *out = chunk.data();
        return static_cast<la_ssize_t>(chunk.size());
    } catch (const std::exception& e) {
        p->source_error = e.what();
        archive_set_error(a, EIO, "%s", e.what());
        return -1;
    }
}

la_ssize_t read_tar(archive* inner, void* client, const void** out) {
    auto* p = static_cast<Pipeline*>(client);
    if (p->outer_eof) return 0;
    la_ssize_t n = archive_read_data(p->outer, p->buf.data(), p->buf.size());
    if (n < 0) {
        archive_set_error(inner, EIO, "%s", archive_message(p->outer).c_str());
        return -1;
    }
    if (n == 0) p->outer_eof = true;
    p->tar += static_cast<uint64_t>(n);
    if (p->tar > p->limit) {
        p->bomb = true;
        archive_set_error(inner, EIO, "decompressed size limit exceeded");
        return -1;
    }
    p->tar_hash.update(p->buf.data(), static_cast<size_t>(n));
    *out = p->buf.data();
    return n;
}

ScanEntry::Kind kind_of(archive_entry* e) {
    if (archive_entry_hardlink(e)) return ScanEntry::Kind::hardlink;
    switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            return ScanEntry::Kind::file;
        case AE_IFDIR:
            return ScanEntry::Kind::dir;
        case AE_IFLNK:
            return ScanEntry::Kind::symlink;
        default:
            return ScanEntry::Kind::other;
    }
}

// Turns a tar entry into a ScanEntry; false for the layer root ("./"), which is no path.
bool describe(archive_entry* e, const std::string& what, const ScanLimits& limits, ScanEntry& out) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    std::string where = what + ": entry " + name;
    std::vector<std::string> comps = clean_entry_path(name, where);
    if (comps.empty()) return false;
    out.kind = kind_of(e);
    out.size = 0;
    out.link.clear();
    std::string& base = comps.back();
    if (base.rfind(".wh.", 0) == 0) {
        if (base == ".wh..wh..opq") {
            comps.pop_back();
            out.kind = ScanEntry::Kind::opaque;
            if (comps.empty()) throw Error(where + ": opaque marker at the layer root");
        } else {
            base = base.substr(4);
            if (base.empty() || base == "." || base == "..")
                throw Error(where + ": whiteout of \"" + base + "\" is invalid");
            out.kind = ScanEntry::Kind::whiteout;
        }
        out.path = join_path(comps);
        return true;
    }
    out.path = join_path(comps);
    if (out.kind == ScanEntry::Kind::file) {
        int64_t declared = archive_entry_size(e);
        // A header may claim anything; the data that follows must then be read (and counted
        // against the limit), so an absurd claim is refused before any of it.
        if (declared < 0 || static_cast<uint64_t>(declared) > limits.max_tar_bytes)
            throw Error(where + ": claims " + std::to_string(declared) +
                        " bytes, more than the layer limit of " +
                        std::to_string(limits.max_tar_bytes));
        out.size = static_cast<uint64_t>(declared);
    }
    if (const char* l = archive_entry_hardlink(e)) {
        out.link = l;
    } else if (out.kind == ScanEntry::Kind::symlink) {
        const char* t = archive_entry_symlink(e);
        out.link = t ? t : "";
    }
    return true;
}

}  // namespace

LayerScan scan_layer(ByteStream& in, const std::string& what, const ScanLimits& limits,
                     bool hash_blob) {
    ArchivePtr outer(archive_read_new());
    ArchivePtr inner(archive_read_new());
    if (!outer || !inner) throw Error(what + ": libarchive allocation failed");
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_raw(outer.get());
    archive_read_support_format_tar(inner.get());

    Pipeline p;
    p.in = &in;
    p.hash_blob = hash_blob;
    p.limit = limits.max_tar_bytes;
    p.outer = outer.get();
    auto fail = [&](archive* a) -> Error {
        if (!p.source_error.empty()) return Error(what + ": " + p.source_error);
        if (p.bomb)
            return Error(what + ": more than " + std::to_string(limits.max_tar_bytes) +
                         " decompressed bytes (decompression bomb?)");
        return Error(what + ": " + archive_message(a));
    };
    if (archive_read_open(outer.get(), &p, nullptr, read_blob, nullptr) != ARCHIVE_OK)
        throw fail(outer.get());
    archive_entry* raw_entry;
    int r = archive_read_next_header(outer.get(), &raw_entry);
    if (r == ARCHIVE_EOF) throw Error(what + ": empty layer blob");
    if (r != ARCHIVE_OK) throw fail(outer.get());
    if (archive_read_open(inner.get(), &p, nullptr, read_tar, nullptr) != ARCHIVE_OK)
        throw Error(what + ": not a tar: " + archive_message(inner.get()));

    LayerScan scan;
    archive_entry* e;
    ScanEntry entry;
    while ((r = archive_read_next_header(inner.get(), &e)) == ARCHIVE_OK) {
        if (!describe(e, what, limits, entry)) continue;
        if (scan.entries.size() >= limits.max_entries)
            throw Error(what + ": more than " + std::to_string(limits.max_entries) + " entries");
        scan.entries.push_back(std::move(entry));
        entry = ScanEntry();
    }
    if (r != ARCHIVE_EOF) throw fail(inner.get());
    // The end-of-archive blocks and any padding belong to the DiffID, and the blob's tail
    // (after the compressed stream) to its digest: drain both.
    const void* out;
    la_ssize_t n;
    while ((n = read_tar(inner.get(), &p, &out)) > 0) {
    }
    if (n < 0) throw fail(inner.get());
    for (std::string_view chunk; !(chunk = in.next()).empty();) {
        if (hash_blob) p.blob_hash.update(chunk.data(), chunk.size());
        p.compressed += chunk.size();
    }
    scan.compressed_bytes = p.compressed;
    scan.tar_bytes = p.tar;
    scan.diff_id = p.tar_hash.finish();
    if (hash_blob) scan.blob_digest = p.blob_hash.finish();
    return scan;
}

}  // namespace berth::images

// `berth commit`: the upper dir becomes one layer tar (libarchive, pax) hashed into its
// DiffID as it is written, then gzip-compressed (libarchive's raw writer) and hashed into its
// blob digest; config and manifest are the base image's with the layer appended.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <memory>

#include "archive_message.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "berth/images/commit.h"
#include "berth/images/load.h"
#include "fs_util.h"
#include "upper_walk.h"

namespace berth::images {
namespace {

struct WriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
using WritePtr = std::unique_ptr<archive, WriteDeleter>;

// Where libarchive's output goes: a file, hashed on the way.
struct HashedFile {
    int fd;
    Sha256 hash;
    uint64_t bytes = 0;
    std::string error;
};

la_ssize_t write_hashed(archive*, void* client, const void* buf, size_t size) {
    auto* f = static_cast<HashedFile*>(client);
    try {
        write_all_fd(f->fd, buf, size, "layer");
    } catch (const std::exception& e) {
        f->error = e.what();
        return -1;
    }
    f->hash.update(buf, size);
    f->bytes += size;
    return static_cast<la_ssize_t>(size);
}

void check(archive* a, int r, const std::string& what) {
    if (r < ARCHIVE_WARN) throw Error(what + ": " + archive_message(a));
}

void add_xattrs(archive_entry* ae, int fd) {
    char names[65536];
    ssize_t n = ::flistxattr(fd, names, sizeof names);
    for (ssize_t at = 0; n > 0 && at < n; at += static_cast<ssize_t>(strlen(names + at)) + 1) {
        std::string name = names + at;
        if (name.rfind("trusted.overlay.", 0) == 0) continue;  // overlayfs' own bookkeeping
        char value[65536];
        ssize_t len = ::fgetxattr(fd, name.c_str(), value, sizeof value);
        if (len >= 0) archive_entry_xattr_add_entry(ae, name.c_str(), value, size_t(len));
    }
}

class LayerWriter {
  public:
    LayerWriter(int out_fd) : a_(archive_write_new()) {
        out_.fd = out_fd;
        archive_write_set_format_pax_restricted(a_.get());
        archive_write_set_bytes_in_last_block(a_.get(), 1);
        check(a_.get(), archive_write_open(a_.get(), &out_, nullptr, write_hashed, nullptr),
              "layer");
    }
    void entry(const UpperEntry& e) {
        WhatEntry ae(archive_entry_new());
        const struct stat& st = e.st;
        archive_entry_set_uid(ae.get(), st.st_uid);
        archive_entry_set_gid(ae.get(), st.st_gid);
        archive_entry_set_mtime(ae.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (e.whiteout) {
            size_t slash = e.path.rfind('/');
            std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash + 1);
            archive_entry_set_pathname(ae.get(), (dir + ".wh." + e.name).c_str());
            archive_entry_set_filetype(ae.get(), AE_IFREG);
            archive_entry_set_perm(ae.get(), 0);
            archive_entry_set_size(ae.get(), 0);
            header(ae.get(), e.path);
            return;
        }
        archive_entry_set_pathname(ae.get(), e.path.c_str());
        archive_entry_set_perm(ae.get(), st.st_mode & 07777);
        UniqueFd fd;
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
            fd.reset(::openat(e.dir_fd, e.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!fd) throw_errno("open " + e.path);
            add_xattrs(ae.get(), fd.get());
        }
        if (S_ISREG(st.st_mode)) {
            auto key = std::make_pair(st.st_dev, st.st_ino);
            if (st.st_nlink > 1) {
                auto it = links_.find(key);
                if (it != links_.end()) {
                    archive_entry_set_filetype(ae.get(), AE_IFREG);
                    archive_entry_set_hardlink(ae.get(), it->second.c_str());
                    archive_entry_set_size(ae.get(), 0);
                    header(ae.get(), e.path);
                    return;
                }
                links_[key] = e.path;
            }
            archive_entry_set_filetype(ae.get(), AE_IFREG);
            archive_entry_set_size(ae.get(), st.st_size);
            header(ae.get(), e.path);
            data(fd.get(), st.st_size, e.path);
        } else if (S_ISDIR(st.st_mode)) {
            archive_entry_set_filetype(ae.get(), AE_IFDIR);
            header(ae.get(), e.path);
            if (e.opaque) {
                WhatEntry opq(archive_entry_new());
                archive_entry_set_pathname(opq.get(), (e.path + "/.wh..wh..opq").c_str());
                archive_entry_set_filetype(opq.get(), AE_IFREG);
                archive_entry_set_perm(opq.get(), 0);
                archive_entry_set_size(opq.get(), 0);
                archive_entry_set_mtime(opq.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
                header(opq.get(), e.path);
            }
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(size_t(st.st_size) + 1, '\0');
            ssize_t n = ::readlinkat(e.dir_fd, e.name.c_str(), target.data(), target.size());
            if (n < 0) throw_errno("readlink " + e.path);
            target.resize(size_t(n));
            archive_entry_set_filetype(ae.get(), AE_IFLNK);
            archive_entry_set_symlink(ae.get(), target.c_str());
            header(ae.get(), e.path);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
            archive_entry_set_filetype(ae.get(), st.st_mode & S_IFMT);
            archive_entry_set_rdevmajor(ae.get(), major(st.st_rdev));
            archive_entry_set_rdevminor(ae.get(), minor(st.st_rdev));
            header(ae.get(), e.path);
        }  // sockets are not content: left out, as tar does
    }
    // Returns the DiffID.
    Digest finish(uint64_t& bytes) {
        check(a_.get(), archive_write_close(a_.get()), "layer");
        if (!out_.error.empty()) throw Error("write layer: " + out_.error);
        bytes = out_.bytes;
        return out_.hash.finish();
    }

  private:
    struct EntryDeleter {
        void operator()(archive_entry* e) const { archive_entry_free(e); }
    };
    using WhatEntry = std::unique_ptr<archive_entry, EntryDeleter>;
    void header(archive_entry* ae, const std::string& path) {
        check(a_.get(), archive_write_header(a_.get(), ae), "layer entry " + path);
    }
    void data(int fd, off_t size, const std::string& path) {
        std::vector<char> buf(1 << 17);
        off_t left = size;
        while (left > 0) {
            ssize_t n = ::read(fd, buf.data(), std::min<size_t>(buf.size(), size_t(left)));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("read " + path);
            if (n == 0) throw Error(path + ": shrank while it was committed");
            if (archive_write_data(a_.get(), buf.data(), size_t(n)) != n)
                throw Error("layer entry " + path + ": " + archive_message(a_.get()));
            left -= n;
        }
    }
    HashedFile out_;
    WritePtr a_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

// gzip of the tar, through libarchive's raw writer; returns the blob digest.
Digest gzip_file(const std::string& in_path, int out_fd, uint64_t& bytes) {
    UniqueFd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw_errno("open " + in_path);
    HashedFile out;
    out.fd = out_fd;
    WritePtr a(archive_write_new());
    archive_write_set_format_raw(a.get());
    archive_write_add_filter_gzip(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    check(a.get(), archive_write_open(a.get(), &out, nullptr, write_hashed, nullptr), "gzip");
    archive_entry* e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "layer.tar");
    int r = archive_write_header(a.get(), e);
    archive_entry_free(e);
    check(a.get(), r, "gzip");
    std::vector<char> buf(1 << 17);
    for (ssize_t n; (n = ::read(in.get(), buf.data(), buf.size())) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + in_path);
        if (archive_write_data(a.get(), buf.data(), size_t(n)) != n)
            throw Error("gzip: " + archive_message(a.get()));
    }
    check(a.get(), archive_write_close(a.get()), "gzip");
    if (!out.error.empty()) throw Error("write layer: " + out.error);
    bytes = out.bytes;
    return out.hash.finish();
}

std::string now_rfc3339() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm;
    ::gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09ldZ", ts.tv_nsec);
    return std::string(buf) + frac;
}

}  // namespace

CommitResult commit_image(Store& store, const CommitRequest& req) {
    Store::Lock lock(store, true);
    std::string staging = store.make_temp_dir("commit");
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            try {
                remove_tree(dir);
            } catch (...) {
            }
        }
    } cleanup{staging};

    std::string tar_path = staging + "/layer.tar", gz_path = staging + "/layer.tar.gz";
    Digest diff_id;
    uint64_t tar_bytes = 0;
    {
        UniqueFd out(::open(tar_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!out) throw_errno("create " + tar_path);
        LayerWriter writer(out.get());
        walk_upper(req.upper, req.excluded, [&](const UpperEntry& e) { writer.entry(e); });
        diff_id = writer.finish(tar_bytes);
    }
    CommitResult result;
    Digest blob;
    {
        UniqueFd out(::open(gz_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!out) throw_errno("create " + gz_path);
        blob = gzip_file(tar_path, out.get(), result.layer_bytes);
    }
    const char* media = "application/vnd.oci.image.layer.v1.tar+gzip";

    nlohmann::json config = nlohmann::json::parse(store.read_blob(req.base.id));
    if (!config.contains("config") || !config["config"].is_object())
        config["config"] = nlohmann::json::object();
    for (const auto& [k, v] : req.container_config.items()) config["config"][k] = v;
    for (const std::string& change : req.changes) apply_change(config, change);
    std::string created = now_rfc3339();
    if (!req.container_id.empty()) config["container"] = req.container_id;
    if (!req.author.empty()) config["author"] = req.author;
    config["rootfs"]["diff_ids"].push_back(diff_id.str());
    if (!config.contains("history") || !config["history"].is_array())
        config["history"] = nlohmann::json::array();
    // The new entry must land on the new layer: a base image whose history covers fewer
    // layers than it has gets entries for the rest first (as docker does).
    size_t covered = 0;
    for (const auto& h : config["history"])
        if (!(h.is_object() && h.value("empty_layer", false))) ++covered;
    for (; covered < req.base.layers.size(); ++covered)
        config["history"].push_back({{"created", config.value("created", "")}});
    nlohmann::json step = {{"created", created}, {"created_by", req.created_by}};
    if (!req.message.empty()) step["comment"] = req.message;
    if (!req.author.empty()) step["author"] = req.author;
    config["history"].push_back(step);
    config["created"] = created;
    std::string config_text = config.dump();

    nlohmann::json manifest = nlohmann::json::parse(store.read_blob(req.base.manifest));
    manifest["layers"].push_back(
        {{"mediaType", media}, {"digest", blob.str()}, {"size", result.layer_bytes}});
    Digest config_digest = Digest::of(config_text);
    manifest["config"]["digest"] = config_digest.str();
    manifest["config"]["size"] = config_text.size();
    std::string manifest_text = manifest.dump();

    store.adopt_blob(gz_path, blob);
    store.put_blob(config_text);
    ImageRecord record;
    record.id = config_digest;
    record.manifest = store.put_blob(manifest_text);
    record.layers = req.base.layers;
    LayerRecord layer;
    layer.blob = blob;
    layer.media_type = media;
    layer.blob_size = result.layer_bytes;
    layer.diff_id = diff_id;
    record.layers.push_back(layer);
    if (!req.tag.empty()) record.repo_tags.push_back(normalize_tag(req.tag));
    ensure_layers(store, record.layers, {});
    store.save(record);
    result.image = record;
    return result;
}

}  // namespace berth::images

#include "images_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "berth/images/digest.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

class FixtureEnvironment : public ::testing::Environment {
  public:
    void SetUp() override {
        if (const char* prebuilt = getenv("BERTH_OCI_FIXTURES")) {  // set by ctest
            f_ = {std::string(prebuilt) + "/busybox", std::string(prebuilt) + "/multilayer",
                  std::string(prebuilt) + "/multilayer.tar"};
            return;
        }
        dir_ = make();
        f_.busybox_dir = dir_ + "/busybox";
        f_.multilayer_dir = dir_ + "/multilayer";
        f_.multilayer_tar = dir_ + "/multilayer.tar";
        build("busybox", f_.busybox_dir);
        build("multilayer", f_.multilayer_dir);
        build("multilayer", f_.multilayer_tar);
    }
    void TearDown() override {
        if (dir_.empty()) return;
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    static std::string make() {
        std::string pattern = "/tmp/berth-oci-fixtures-XXXXXX";
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        return pattern;
    }
    void build(const std::string& kind, const std::string& dest) {
        Result r = run({"/bin/bash", BERTH_OCI_IMAGE_SCRIPT, kind, dest}, 120);
        if (r.exit_code != 0) throw std::runtime_error("oci-image.sh " + kind + ": " + r.err);
    }
    std::string dir_;
    Fixtures f_;
};

FixtureEnvironment* environment =
    static_cast<FixtureEnvironment*>(::testing::AddGlobalTestEnvironment(new FixtureEnvironment));

la_ssize_t append(archive*, void* client, const void* buf, size_t size) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buf), size);
    return static_cast<la_ssize_t>(size);
}

}  // namespace

const Fixtures& fixtures() {
    return environment->f_;
}

TempDir::TempDir(const std::string& stem) {
    path_ = "/tmp/" + stem + "-XXXXXX";
    if (!mkdtemp(path_.data())) throw std::runtime_error("mkdtemp failed");
    chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string make_tar(const std::vector<TarEntry>& entries, bool gzip) {
    std::string out;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip) archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, &out, nullptr, append, nullptr);
    for (const TarEntry& e : entries) {
        archive_entry* ae = archive_entry_new();
        archive_entry_set_pathname(ae, e.name.c_str());
        archive_entry_set_perm(ae, e.mode);
        archive_entry_set_uid(ae, e.uid);
        archive_entry_set_gid(ae, e.gid);
        archive_entry_set_mtime(ae, e.mtime, 0);
        for (const auto& [k, v] : e.xattrs)
            archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
        switch (e.type) {
            case 'f':
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
                break;
            case 'd':
                archive_entry_set_filetype(ae, AE_IFDIR);
                break;
            case 'l':
                archive_entry_set_filetype(ae, AE_IFLNK);
                archive_entry_set_symlink(ae, e.data.c_str());
                break;
            case 'h':
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_hardlink(ae, e.data.c_str());
                archive_entry_set_size(ae, 0);
                break;
            case 'c':
                archive_entry_set_filetype(ae, AE_IFCHR);
                archive_entry_set_rdevmajor(ae, e.dev_major);
                archive_entry_set_rdevminor(ae, e.dev_minor);
                break;
            case 'p':
                archive_entry_set_filetype(ae, AE_IFIFO);
                break;
        }
        archive_write_header(a, ae);
        if (e.type == 'f' && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary);
    out << data;
}

std::string sha256_hex(const std::string& data) {
    return images::Digest::of(data).hex();
}

std::vector<std::string> list_tree(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        out.push_back(std::filesystem::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace berth::test

#include "berth/images/save.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "archive_message.h"
#include "berth/error.h"
#include "berth/fd.h"
#include "manifest.h"

namespace berth::images {
namespace {

class TarWriter {
  public:
    explicit TarWriter(const std::string& path) : path_(path), a_(archive_write_new()) {
        archive_write_set_format_pax_restricted(a_.get());
        if (archive_write_open_filename(a_.get(), path.c_str()) != ARCHIVE_OK)
            throw Error(path + ": " + archive_message(a_.get()));
    }
    void add(const std::string& name, const std::string& data) {
        header(name, static_cast<int64_t>(data.size()));
        if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) < 0)
            throw Error(path_ + ": " + archive_message(a_.get()));
    }
    void add_file(const std::string& name, const std::string& source) {
        UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st;
        if (!fd || ::fstat(fd.get(), &st) != 0) throw_errno("open " + source);
        header(name, st.st_size);
        char buf[1 << 16];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
            if (archive_write_data(a_.get(), buf, static_cast<size_t>(n)) < 0)
                throw Error(path_ + ": " + archive_message(a_.get()));
        if (n < 0) throw_errno("read " + source);
    }
    void close() {
        if (archive_write_close(a_.get()) != ARCHIVE_OK)
            throw Error(path_ + ": " + archive_message(a_.get()));
    }

  private:
    void header(const std::string& name, int64_t size) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                   archive_entry_free);
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_size(e.get(), size);
        if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
            throw Error(path_ + ": " + archive_message(a_.get()));
    }
    struct Free {
        void operator()(archive* a) const { archive_write_free(a); }
    };
    std::string path_;
    std::unique_ptr<archive, Free> a_;
};

std::string blob_name(const Digest& d) {
    return "blobs/sha256/" + d.hex();
}

int64_t blob_size(const Store& store, const Digest& d) {
    struct stat st;
    if (::stat(store.blob_path(d).c_str(), &st) != 0) throw_errno("blob " + d.str());
    return st.st_size;
}

void write_images(Store& store, const std::vector<ImageRecord>& images, TarWriter& out,
                  SaveFormat format) {
    std::set<Digest> written;
    auto add_blob = [&](const Digest& d) {
        if (written.insert(d).second) out.add_file(blob_name(d), store.blob_path(d));
    };
    nlohmann::json index = {{"schemaVersion", 2},
                            {"mediaType", "application/vnd.oci.image.index.v1+json"},
                            {"manifests", nlohmann::json::array()}};
    nlohmann::json docker = nlohmann::json::array();
    for (const ImageRecord& image : images) {
        add_blob(image.id);
        add_blob(image.manifest);
        nlohmann::json layers = nlohmann::json::array();
        for (const LayerRecord& l : image.layers) {
            add_blob(l.blob);
            layers.push_back(blob_name(l.blob));
        }
        docker.push_back(
            {{"Config", blob_name(image.id)}, {"RepoTags", image.repo_tags}, {"Layers", layers}});
        nlohmann::json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"digest", image.manifest.str()},
                               {"size", blob_size(store, image.manifest)}};
        nlohmann::json config = nlohmann::json::parse(store.read_blob(image.id));
        desc["platform"] = {{"os", config.value("os", "linux")},
                            {"architecture", config.value("architecture", "amd64")}};
        if (image.repo_tags.empty()) index["manifests"].push_back(desc);
        for (const std::string& tag : image.repo_tags) {
            desc["annotations"] = {
                {"io.containerd.image.name", tag},
                {"org.opencontainers.image.ref.name", tag.substr(tag.rfind(':') + 1)}};
            index["manifests"].push_back(desc);
        }
    }
    if (format == SaveFormat::docker) {
        out.add("manifest.json", docker.dump());
    } else {
        out.add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
        out.add("index.json", index.dump());
    }
}

}  // namespace

void save_images(Store& store, const std::vector<std::string>& refs, const std::string& out_path,
                 SaveFormat format) {
    Store::Lock lock(store, false);
    std::vector<ImageRecord> images;
    for (const std::string& ref : refs) images.push_back(store.resolve(ref));
    std::string tmp = out_path + ".tmp-" + std::to_string(::getpid());
    try {
        TarWriter out(tmp);
        write_images(store, images, out, format);
        out.close();
        if (::rename(tmp.c_str(), out_path.c_str()) != 0) throw_errno("rename to " + out_path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
}

}  // namespace berth::images

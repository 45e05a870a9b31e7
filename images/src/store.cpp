#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cctype>
#include <cerrno>

#include <algorithm>
#include <optional>
#include <set>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/images/store.h"
#include "file_lock.h"
#include "fs_util.h"

namespace berth::images {
namespace {

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) throw_errno("opendir " + path);
    while (dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

void erase_value(std::vector<std::string>& v, const std::string& value) {
    v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

}  // namespace

struct Store::LockState {
    std::optional<FileLock> lock;
    int depth = 0;
    bool exclusive = false;
};

Store::Store(std::string root) : root_(std::move(root)), lock_(std::make_unique<LockState>()) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    // 0700 everywhere: layers keep the images' setuid binaries and device nodes, which host
    // users must not reach.
    for (const char* sub : {"/blobs/sha256", "/images", "/layers", "/tmp", "/holds"})
        make_dirs(root_ + sub, 0700);
}

Store::~Store() = default;

Store::Lock::Lock(Store& store, bool exclusive) : store_(store) {
    LockState& st = *store.lock_;
    if (st.depth > 0) {
        if (exclusive && !st.exclusive)
            throw Error("store " + store.root_ + ": exclusive lock requested inside a shared one");
        ++st.depth;
        return;
    }
    st.lock.emplace(store.root_ + "/lock", exclusive);
    st.exclusive = exclusive;
    st.depth = 1;
    // Only writers clean up: holding the exclusive lock, nobody else is staging anything.
    if (exclusive) store.clean_stale_temp();
}

Store::Lock::~Lock() {
    LockState& st = *store_.lock_;
    if (--st.depth == 0) st.lock.reset();
}

void Store::clean_stale_temp() {
    for (const std::string& name : list_dir(root_ + "/tmp")) remove_tree(root_ + "/tmp/" + name);
    for (const std::string& name : list_dir(layers_dir()))
        if (name.rfind(".tmp-", 0) == 0) remove_tree(layers_dir() + "/" + name);
}

std::string Store::layer_path(const Digest& chain_id) const {
    return layers_dir() + "/" + chain_id.hex();
}

bool Store::has_layer(const Digest& chain_id) const {
    struct stat st;
    return ::lstat(layer_path(chain_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Store::record_path(const Digest& id) const {
    return root_ + "/images/" + id.hex() + ".json";
}

std::vector<ImageRecord> Store::images() const {
    std::vector<ImageRecord> out;
    for (const std::string& name : list_dir(root_ + "/images")) {
        if (name.size() != 69 || name.substr(64) != ".json") continue;
        std::string path = root_ + "/images/" + name;
        try {
            out.push_back(ImageRecord::from_json(nlohmann::json::parse(read_file(path))));
        } catch (const nlohmann::json::exception& e) {
            throw Error(path + ": " + e.what());
        }
    }
    return out;
}

std::optional<ImageRecord> Store::find(std::string_view ref_view) const {
    std::string ref(ref_view);
    std::vector<ImageRecord> all = images();
    if (ref.rfind("sha256:", 0) == 0) ref = ref.substr(7);
    std::string tag = normalize_tag(ref);
    for (const ImageRecord& r : all) {
        if (std::find(r.repo_tags.begin(), r.repo_tags.end(), tag) != r.repo_tags.end()) return r;
        if (std::find(r.repo_digests.begin(), r.repo_digests.end(), ref) != r.repo_digests.end())
            return r;
    }
    // An ID prefix (at least 4 hex digits), as docker accepts.
    if (ref.size() >= 4 && ref.size() <= 64 &&
        ref.find_first_not_of("0123456789abcdef") == std::string::npos) {
        std::optional<ImageRecord> match;
        for (const ImageRecord& r : all) {
            if (r.id.hex().rfind(ref, 0) != 0) continue;
            if (match) throw Error("image reference " + ref + " is ambiguous");
            match = r;
        }
        return match;
    }
    return std::nullopt;
}

ImageRecord Store::resolve(std::string_view ref) const {
    std::optional<ImageRecord> r = find(ref);
    if (!r) throw Error("image " + std::string(ref) + ": no such image");
    return *r;
}

void Store::save(const ImageRecord& record) {
    Lock lock(*this, true);
    for (ImageRecord other : images()) {
        if (other.id == record.id) continue;
        bool changed = false;
        for (const std::string& t : record.repo_tags) {
            if (std::find(other.repo_tags.begin(), other.repo_tags.end(), t) ==
                other.repo_tags.end())
                continue;
            erase_value(other.repo_tags, t);
            changed = true;
        }
        if (changed) write_file_atomic(record_path(other.id), other.to_json().dump(2));
    }
    write_file_atomic(record_path(record.id), record.to_json().dump(2));
}

void Store::tag(std::string_view source_ref, std::string_view new_tag) {
    Lock lock(*this, true);
    std::string tag = normalize_tag(new_tag);
    if (tag.find('@') != std::string::npos || tag.empty() || tag.front() == ':')
        throw Error("tag " + std::string(new_tag) + ": not a valid NAME[:TAG]");
    ImageRecord r = resolve(source_ref);
    if (std::find(r.repo_tags.begin(), r.repo_tags.end(), tag) == r.repo_tags.end())
        r.repo_tags.push_back(tag);
    save(r);
}

std::vector<std::string> Store::remove(std::string_view ref, bool force) {
    Lock lock(*this, true);
    ImageRecord r = resolve(ref);
    std::vector<std::string> out;
    std::string tag = normalize_tag(ref);
    bool by_tag = std::find(r.repo_tags.begin(), r.repo_tags.end(), tag) != r.repo_tags.end();
    if (by_tag && r.repo_tags.size() > 1) {
        erase_value(r.repo_tags, tag);
        write_file_atomic(record_path(r.id), r.to_json().dump(2));
        return {"Untagged: " + tag};
    }
    if (!by_tag && r.repo_tags.size() > 1 && !force)
        throw Error("image " + std::string(ref) + " is referenced by " +
                    std::to_string(r.repo_tags.size()) + " tags; remove them or use force");
    if (!force)
        for (const Hold& h : holds())
            if (h.image == r.id)
                throw Error("image " + std::string(ref) + " is being used by container " +
                            h.holder.substr(0, 12) + " (remove it first, or force)");
    for (const std::string& t : r.repo_tags) out.push_back("Untagged: " + t);
    if (::unlink(record_path(r.id).c_str()) != 0) throw_errno("remove record " + r.id.str());
    out.push_back("Deleted: " + r.id.str());
    garbage_collect();
    return out;
}

Store::Collected Store::garbage_collect() {
    Lock lock(*this, true);
    std::set<std::string> blobs, layers;
    for (const ImageRecord& r : images()) {
        blobs.insert(r.id.hex());
        blobs.insert(r.manifest.hex());
        for (const LayerRecord& l : r.layers) {
            blobs.insert(l.blob.hex());
            layers.insert(l.chain_id.hex());
            layers.insert(l.chain_id.hex() + ".json");
        }
    }
    for (const Hold& h : holds()) {
        for (const Digest& b : h.blobs) blobs.insert(b.hex());
        for (const Digest& l : h.layers) {
            layers.insert(l.hex());
            layers.insert(l.hex() + ".json");
        }
    }
    Collected out;
    for (const std::string& name : list_dir(root_ + "/blobs/sha256")) {
        if (blobs.count(name)) continue;
        std::string path = root_ + "/blobs/sha256/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
            out.blob_bytes += static_cast<uint64_t>(st.st_size);
        remove_tree(path);
        ++out.blobs;
    }
    for (const std::string& name : list_dir(layers_dir())) {
        if (layers.count(name)) continue;
        bool is_dir = name.find('.') == std::string::npos;  // not a <chainid>.json
        remove_tree(layers_dir() + "/" + name);
        if (is_dir) ++out.layers;
    }
    return out;
}

Store::Pruned Store::prune() {
    Lock lock(*this, true);
    Pruned out;
    std::set<std::string> held;
    for (const Hold& h : holds()) held.insert(h.image.hex());
    for (const ImageRecord& r : images()) {
        if (!r.repo_tags.empty() || held.count(r.id.hex())) continue;
        if (::unlink(record_path(r.id).c_str()) != 0) throw_errno("remove record " + r.id.str());
        out.images.push_back(r.id);
    }
    out.collected = garbage_collect();
    return out;
}

namespace {

void check_holder(const std::string& holder) {
    bool ok = !holder.empty() && holder.size() <= 128;
    for (char c : holder)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!ok) throw Error("image hold: invalid holder name \"" + holder + "\"");
}

}  // namespace

void Store::add_hold(const std::string& holder, const ImageRecord& image) {
    check_holder(holder);
    Lock lock(*this, true);
    nlohmann::json j = {{"image", image.id.str()},
                        {"layers", nlohmann::json::array()},
                        {"blobs", {image.id.str(), image.manifest.str()}}};
    for (const LayerRecord& l : image.layers) {
        j["layers"].push_back(l.chain_id.str());
        j["blobs"].push_back(l.blob.str());
    }
    write_file_atomic(root_ + "/holds/" + holder + ".json", j.dump());
}

void Store::release_hold(const std::string& holder) {
    check_holder(holder);
    Lock lock(*this, true);
    std::string path = root_ + "/holds/" + holder + ".json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove image hold " + path);
}

std::vector<Store::Hold> Store::holds() const {
    std::vector<Hold> out;
    for (const std::string& name : list_dir(root_ + "/holds")) {
        if (name.size() < 6 || name.substr(name.size() - 5) != ".json") continue;
        std::string path = root_ + "/holds/" + name;
        try {
            nlohmann::json j = nlohmann::json::parse(read_file(path));
            Hold h{name.substr(0, name.size() - 5),
                   Digest::parse(j.at("image").get<std::string>()),
                   {},
                   {}};
            for (const auto& l : j.at("layers"))
                h.layers.push_back(Digest::parse(l.get<std::string>()));
            for (const auto& b : j.at("blobs"))
                h.blobs.push_back(Digest::parse(b.get<std::string>()));
            out.push_back(std::move(h));
        } catch (const nlohmann::json::exception& e) {
            throw Error(path + ": " + e.what());
        }
    }
    return out;
}

}  // namespace berth::images

#include "berth/images/overlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "berth/error.h"
#include "berth/fd.h"
#include "fs_util.h"

namespace berth::images {
namespace {

void set_string(int fs, const char* key, const std::string& value) {
    if (::fsconfig(fs, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
        throw_errno(std::string("overlay: fsconfig ") + key + "=" + value);
}

}  // namespace

OverlayMount::OverlayMount(const std::vector<std::string>& lowers, const std::string& rw_dir,
                           const std::string& target, bool read_only) {
    if (lowers.empty()) throw Error("overlay " + target + ": an image without layers");
    std::string upper = rw_dir + "/upper", work = rw_dir + "/work";
    make_dirs(upper, 0755);
    make_dirs(work, 0700);
    UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs) throw_errno("overlay: fsopen");
    // "lowerdir+" (Linux 6.8) takes one directory per call, so no ':' escaping is needed;
    // older kernels get the classic colon list (our layer paths hold no ':' or ',').
    bool appended = true;
    for (auto it = lowers.rbegin(); it != lowers.rend() && appended; ++it)
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", it->c_str(), 0) != 0) {
            if (errno != EINVAL || it != lowers.rbegin()) throw_errno("overlay: lowerdir+ " + *it);
            appended = false;
        }
    if (!appended) {
        std::string list;
        for (auto it = lowers.rbegin(); it != lowers.rend(); ++it)
            list += (list.empty() ? "" : ":") + *it;
        set_string(fs.get(), "lowerdir", list);
    }
    set_string(fs.get(), "upperdir", upper);
    set_string(fs.get(), "workdir", work);
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        throw_errno("overlay " + target + ": create");
    UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, read_only ? MOUNT_ATTR_RDONLY : 0));
    if (!mnt) throw_errno("overlay " + target + ": fsmount");
    if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        throw_errno("overlay: mount on " + target);
    target_ = target;
}

OverlayMount::OverlayMount(OverlayMount&& other) noexcept
    : target_(std::exchange(other.target_, "")) {}

OverlayMount& OverlayMount::operator=(OverlayMount&& other) noexcept {
    if (this != &other) {
        unmount();
        target_ = std::exchange(other.target_, "");
    }
    return *this;
}

OverlayMount::~OverlayMount() {
    unmount();
}

void OverlayMount::unmount() {
    if (target_.empty()) return;
    ::umount2(target_.c_str(), MNT_DETACH);
    target_.clear();
}

std::vector<std::string> image_lowers(const Store& store, const ImageRecord& image) {
    std::vector<std::string> out;
    for (const LayerRecord& l : image.layers) {
        if (!store.has_layer(l.chain_id))
            throw Error("image " + image.id.short_str() + ": layer " + l.chain_id.short_str() +
                        " is not unpacked");
        out.push_back(store.layer_path(l.chain_id));
    }
    return out;
}

}  // namespace berth::images

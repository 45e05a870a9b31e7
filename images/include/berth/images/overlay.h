// A container root filesystem: overlayfs over an image's unpacked layers with a fresh
// upper/work pair, mounted through the new mount API (fsopen/fsconfig/fsmount/move_mount).
#pragma once

#include <string>
#include <vector>

#include "berth/images/store.h"

namespace berth::images {

class OverlayMount {
  public:
    OverlayMount() = default;
    // lowers: bottom layer first. rw_dir gets upper/ and work/ (created, must be on a
    // filesystem overlayfs accepts as upper). read_only mounts the result MOUNT_ATTR_RDONLY.
    OverlayMount(const std::vector<std::string>& lowers, const std::string& rw_dir,
                 const std::string& target, bool read_only);
    OverlayMount(OverlayMount&& other) noexcept;
    OverlayMount& operator=(OverlayMount&& other) noexcept;
    OverlayMount(const OverlayMount&) = delete;
    OverlayMount& operator=(const OverlayMount&) = delete;
    ~OverlayMount();  // lazily unmounts

    const std::string& target() const { return target_; }
    void unmount();

  private:
    std::string target_;
};

// The lower dirs of an image, bottom first.
std::vector<std::string> image_lowers(const Store& store, const ImageRecord& image);

}  // namespace berth::images

// -v and --tmpfs: parsed and checked at create time into the Mounts inspect shows.
#pragma once

#include <string>
#include <vector>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"

namespace berth::engine {

// docker's -v (parse_volume_spec): "HOST:CTR[:OPTS]" (HOST absolute: a bind, created as a
// directory if missing, as docker does), "NAME:CTR[:OPTS]" (a named volume) or "CTR[:OPTS]"
// (a new anonymous volume). No volume is created yet: see acquire_volumes.
MountPoint parse_volume_flag(const ContainerStore& store, const std::string& text);
// "/path[:options]" -> the destination and its tmpfs options.
MountPoint parse_tmpfs_flag(const std::string& text, std::string& options);

// Volumes (volume_hook.cpp, over VolumeStore). After the container's directory exists:
// creates missing volumes and records the container as their user.
void acquire_volumes(const ContainerStore& store, const ContainerRecord& record);
// With the rootfs mounted, before the program runs: docker's copy of the image's content
// into empty volumes (not for nocopy).
void populate_volumes(const ContainerStore& store, const ContainerRecord& record);
// At rm: drops the container's references; remove_anonymous (rm -v, run --rm) deletes its
// anonymous volumes. Returns the removed names.
std::vector<std::string> release_volumes(const ContainerStore& store, const std::string& id,
                                         bool remove_anonymous);

}  // namespace berth::engine

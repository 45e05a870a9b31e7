// -v and --tmpfs: parsed and checked at create time into the Mounts inspect shows.
#pragma once

#include <string>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"

namespace berth::engine {

// "HOST:CTR[:ro|rw]" (HOST absolute: a bind, created as a directory if missing, as docker
// does), "NAME:CTR[:ro]" (a named volume: resolve_named_volume) or "CTR" (anonymous volume).
MountPoint parse_volume_flag(const ContainerStore& store, const std::string& text);
// "/path[:options]" -> the destination and its tmpfs options.
MountPoint parse_tmpfs_flag(const std::string& text, std::string& options);

// Named volumes: the directory holding a volume's data, created when missing. Belongs to
// the volumes part of the engine (volume create/ls/inspect/rm/prune).
std::string resolve_named_volume(const ContainerStore& store, const std::string& name);

}  // namespace berth::engine

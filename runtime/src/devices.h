// The device nodes and links of a container's /dev, created fd-relative inside the rootfs.
#pragma once

#include "berth/runtime/spec.h"

namespace berth::runtime {

// Creates the default devices (null zero full random urandom tty), the spec's linux.devices,
// and the standard links (/dev/fd, stdin/out/err, ptmx, core).
void populate_dev(int root_fd, const Spec& spec);

}  // namespace berth::runtime

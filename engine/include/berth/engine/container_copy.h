// `berth cp`: files and directories between the host and a container, with docker cp's
// path rules. Every container-side path is resolved inside the container's root with
// openat2(RESOLVE_IN_ROOT) and every entry below it is opened fd-relative with O_NOFOLLOW, so
// a symlink in the container ("/x -> /etc", "../../..") or one swapped in during the copy
// reads and writes the container's files, never the host's (CVE-2018-15664, CVE-2021-41089).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "berth/engine/volumes.h"

namespace berth::engine {

// Where a container's files are, as the engine knows it.
struct ContainerFilesystem {
    std::string label;  // the container's name, for messages ("web:/etc/passwd")
    // Running or paused: its init. The copy goes through /proc/<pid>/root, the container's
    // own view (volumes, binds and tmpfs mounts included).
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // /proc/<pid>/stat start time; 0 skips the reuse check
    // Stopped: the overlay is mounted in a private mount namespace of a child process, with
    // the mounts placed over it; rootfs names an already mounted rootfs instead of lowers.
    std::string rootfs;
    std::vector<std::string> lowers;  // image layers, bottom first
    std::string rw_dir;               // holds upper/ and work/
    std::vector<ResolvedMount> mounts;
};

struct CopyOptions {
    bool follow_link = false;  // -L: copy what a source symlink points to
    bool keep_owner = true;    // uid/gid as in the source (docker's -a)
};

void copy_from_container(const ContainerFilesystem& container, const std::string& container_path,
                         const std::string& host_path, const CopyOptions& options = {});
void copy_to_container(const ContainerFilesystem& container, const std::string& host_path,
                       const std::string& container_path, const CopyOptions& options = {});

// `berth cp CTR:PATH -`: PATH as a tar stream written to out_fd, named like docker's (the
// entry is PATH's last component; "PATH/." gives the directory's content at the top).
void archive_from_container(const ContainerFilesystem& container, const std::string& container_path,
                            int out_fd, const CopyOptions& options = {});
// `berth cp - CTR:DIR`: the tar stream read from in_fd extracted into the existing directory
// DIR. The stream is untrusted: "..", absolute names, paths through symlinks or
// non-directories, devices and sockets are refused with an error naming the entry; nothing is
// written outside DIR.
void extract_to_container(const ContainerFilesystem& container, int in_fd,
                          const std::string& container_dir, const CopyOptions& options = {});

// Runs fn with an O_PATH fd of the container's root directory (for a stopped container, in a
// child process with its own mount namespace: fn's side effects on memory are lost, its
// Error is rethrown here). The fd is only valid during fn.
void with_container_root(const ContainerFilesystem& container,
                         const std::function<void(int root_fd)>& fn);

}  // namespace berth::engine

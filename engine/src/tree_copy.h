// Copying file trees between directories opened as fds, with modes, owners, timestamps,
// xattrs and hard links kept. Every entry is opened beneath an already-open directory with
// O_NOFOLLOW and never through a path, so a tree that changes while it is copied (a container
// swapping a directory for a symlink) cannot redirect a read or a write outside either side.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "berth/fd.h"

namespace berth::engine {

class TreeCopier {
  public:
    // keep_owner=false leaves new entries owned by the caller (docker cp without -a).
    explicit TreeCopier(bool keep_owner = true) : keep_owner_(keep_owner) {}

    // Copies src_dir/src_name (not following a symlink there) to dst_dir/dst_name. A directory
    // is merged into an existing directory; an existing non-directory is replaced. `shown`
    // names the source in errors.
    void copy(int src_dir, const std::string& src_name, int dst_dir, const std::string& dst_name,
              const std::string& shown);
    // The same for a source already opened (O_PATH is enough; a symlink fd copies the link).
    void copy_entry(int src_fd, int dst_dir, const std::string& dst_name, const std::string& shown);
    // Copies the entries of the directory src (any open fd of it) into the open directory dst.
    void copy_contents(int src, int dst, const std::string& shown);
    // Rewrites the open regular file dst with the content and metadata of the file src.
    void overwrite_file(int src, int dst, const std::string& shown);

  private:
    void copy_dir(int src_fd, const struct stat& st, int dst_dir, const std::string& dst_name,
                  const std::string& shown);
    void copy_file(int src_fd, const struct stat& st, int dst_dir, const std::string& dst_name,
                   const std::string& shown);
    void copy_special(int src_fd, const struct stat& st, int dst_dir, const std::string& dst_name,
                      const std::string& shown);
    void apply_metadata(int src_fd, int dst_fd, const struct stat& st, const std::string& shown);

    bool keep_owner_;
    // Hard links seen in the source: (dev, ino) -> O_PATH fd of the copy, linked again with
    // linkat(AT_EMPTY_PATH). Bounded so a tree of hard links cannot exhaust our fds.
    std::map<std::pair<dev_t, ino_t>, UniqueFd> links_;
};

// Another open file description of what an O_PATH fd names (directory: openat "."; anything
// else: its /proc/self/fd magic link, which is that very inode, not a name looked up again).
UniqueFd reopen(int path_fd, int flags);

// The names in the open directory, without "." and ".."; `shown` names it in errors.
std::vector<std::string> directory_entries(int dir_fd, const std::string& shown);
// Removes dir_fd/name and everything below it, never following a symlink.
void remove_tree_at(int dir_fd, const std::string& name);
// Bytes used by regular files below dir_fd/name (each hard-linked inode once).
uint64_t tree_bytes_at(int dir_fd, const std::string& name);
// True when the open directory has no entries.
bool dir_is_empty(int dir_fd);

}  // namespace berth::engine

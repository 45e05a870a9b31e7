// Directory helpers that never follow symlinks: layer trees hold untrusted content.
#pragma once

#include <cstdint>
#include <string>

namespace berth::images {

class Sha256;

// mkdir -p with `mode` for the directories it creates.
void make_dirs(const std::string& path, unsigned mode = 0700);
// Removes dir_fd/name recursively, fd-relative, never following a symlink.
void remove_tree_at(int dir_fd, const std::string& name);
// Same for an absolute path (a missing path is not an error).
void remove_tree(const std::string& path);
// Copies everything from in to out (if out >= 0), feeding the bytes to hash; returns the size.
uint64_t copy_hashing(int in, int out, Sha256& hash, const std::string& what);
void write_all_fd(int fd, const void* data, size_t size, const std::string& what);
void pwrite_all_fd(int fd, const void* data, size_t size, int64_t offset, const std::string& what);

}  // namespace berth::images

// Small whole-file helpers with errors that name the path.
#pragma once

#include <string>

namespace berth {

std::string read_file(const std::string& path);
// Reads a file relative to an open directory (no path re-resolution through symlinks above it).
std::string read_file_at(int dir_fd, const std::string& name);
// Write to a temp file in the same directory, fsync-free rename over the target.
void write_file_atomic(const std::string& path, const std::string& content, int mode = 0600);
// Write to an existing file (procfs, sysfs knobs) without creating or truncating it.
void write_existing_file(const std::string& path, const std::string& content);
bool path_exists(const std::string& path);

}  // namespace berth

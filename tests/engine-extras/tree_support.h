// Scratch trees for the volume and copy tests: a temp dir removed even when a test fails, and
// small helpers to build and read files in it.
#pragma once

#include <sys/types.h>

#include <string>

namespace berth::test {

class ScratchDir {
  public:
    explicit ScratchDir(const std::string& stem = "berth-extras");
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// Writes a file (parents created), chmod mode, chown uid:gid.
void put_file(const std::string& path, const std::string& content, mode_t mode = 0644,
              uid_t uid = 0, gid_t gid = 0);
void put_dir(const std::string& path, mode_t mode = 0755);
std::string get_file(const std::string& path);
bool exists(const std::string& path);  // lstat
// A unique name for this run: "<stem>-<pid>-<counter>".
std::string unique_name(const std::string& stem);

}  // namespace berth::test

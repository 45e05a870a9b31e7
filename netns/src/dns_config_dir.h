// Reads the record-file directory, re-parsing only files that changed (inode, size, mtime)
// and keeping the last good version of a file that no longer parses.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <map>
#include <string>

#include "berth/netns/dns_records.h"

namespace berth::netns {

class DnsConfigDir {
  public:
    explicit DnsConfigDir(std::string dir) : dir_(std::move(dir)) {}
    // Returns every network's current file; errors are written to stderr, one line each.
    const std::map<std::string, DnsNetworkFile>& load();
    const std::string& path() const { return dir_; }

  private:
    struct Cached {
        ino_t inode = 0;
        off_t size = 0;
        timespec mtime{};
    };
    std::string dir_;
    std::map<std::string, Cached> seen_;
    std::map<std::string, DnsNetworkFile> files_;
};

// Creates `dir` and its missing parents (0755).
void make_directories(const std::string& dir);

}  // namespace berth::netns

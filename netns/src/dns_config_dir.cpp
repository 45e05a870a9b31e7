#include "dns_config_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <set>

#include "berth/error.h"
#include "berth/fd.h"
#include "berth/file_io.h"

namespace berth::netns {

namespace {

bool is_record_file(const std::string& name) {
    return name.size() > 5 && name.front() != '.' && name.ends_with(".json");
}

}  // namespace

void make_directories(const std::string& dir) {
    for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
        if (pos != dir.size() && dir[pos] != '/') continue;
        std::string prefix = dir.substr(0, pos);
        if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + prefix);
    }
}

const std::map<std::string, DnsNetworkFile>& DnsConfigDir::load() {
    UniqueFd dir_fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) {
        std::fprintf(stderr, "berth-dns: open %s: %s\n", dir_.c_str(),
                     describe_errno(errno).c_str());
        return files_;  // keep serving what we had
    }
    DIR* dir = ::fdopendir(::dup(dir_fd.get()));
    if (!dir) return files_;
    std::set<std::string> present;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (!is_record_file(name)) continue;
        struct stat st {};
        if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        std::string network = name.substr(0, name.size() - 5);
        present.insert(network);
        auto seen = seen_.find(network);
        if (seen != seen_.end() && seen->second.inode == st.st_ino &&
            seen->second.size == st.st_size && seen->second.mtime.tv_sec == st.st_mtim.tv_sec &&
            seen->second.mtime.tv_nsec == st.st_mtim.tv_nsec)
            continue;  // unchanged since the last load
        seen_[network] = {st.st_ino, st.st_size, st.st_mtim};
        try {
            files_[network] = parse_dns_network_file(read_file_at(dir_fd.get(), name), name);
        } catch (const Error& e) {
            std::fprintf(stderr, "berth-dns: %s (%s)\n", e.what(),
                         files_.count(network) ? "keeping its previous version" : "skipped");
        }
    }
    ::closedir(dir);
    for (auto it = files_.begin(); it != files_.end();) {
        if (present.count(it->first)) {
            ++it;
            continue;
        }
        seen_.erase(it->first);
        it = files_.erase(it);
    }
    for (auto it = seen_.begin(); it != seen_.end();)
        it = present.count(it->first) ? std::next(it) : seen_.erase(it);
    return files_;
}

}  // namespace berth::netns

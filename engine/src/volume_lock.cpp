#include "volume_lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "berth/error.h"
#include "tree_copy.h"

namespace berth::engine {
namespace {

void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

std::vector<std::string> all_names(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        throw_errno("list " + dir);
    }
    while (dirent* e = ::readdir(d)) out.emplace_back(e->d_name);
    ::closedir(d);
    return out;
}

}  // namespace

std::string random_hex(size_t bytes) {
    std::string raw(bytes, '\0');
    if (::getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size()))
        throw_errno("getrandom");
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string random_volume_name() {
    return random_hex(32);
}

VolumeLock::VolumeLock(const std::string& volumes_dir, bool exclusive) {
    size_t slash = volumes_dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) make_dir(volumes_dir.substr(0, slash));
    make_dir(volumes_dir);
    std::string path = volumes_dir + "/.lock";
    fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd_) throw_errno("open " + path);
    while (::flock(fd_.get(), exclusive ? LOCK_EX : LOCK_SH) != 0)
        if (errno != EINTR) throw_errno("lock " + path);
    if (!exclusive) return;
    // Holding the exclusive lock, nobody else is staging or trashing: leftovers are ours.
    for (const std::string& name : all_names(volumes_dir))
        if (name.rfind(".new-", 0) == 0 || name.rfind(".trash-", 0) == 0)
            remove_tree_at(AT_FDCWD, volumes_dir + "/" + name);
}

std::vector<std::string> VolumeLock::names(const std::string& volumes_dir) {
    std::vector<std::string> out;
    for (std::string& name : all_names(volumes_dir))
        if (!name.empty() && name[0] != '.') out.push_back(std::move(name));
    return out;
}

}  // namespace berth::engine

#include "process_info.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "berth/file_io.h"

namespace berth::runtime {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::string text;
    try {
        text = read_file("/proc/" + std::to_string(pid) + "/stat");
    } catch (...) {
        return std::nullopt;
    }
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    size_t close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    ProcStat st{};
    std::string skip;
    fields >> st.state >> st.ppid;
    for (int field = 5; field < 22; ++field) fields >> skip;  // fields 5..21
    fields >> st.start_time;                                  // field 22
    if (!fields) return std::nullopt;
    return st;
}

bool is_same_live_process(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return false;
    auto st = read_proc_stat(pid);
    return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

uint64_t namespace_inode(pid_t pid, const char* kind) {
    struct stat st;
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_ino;
}

std::vector<pid_t> processes_in_namespace(const char* kind, uint64_t inode) {
    std::vector<pid_t> out;
    if (inode == 0) return out;
    DIR* dir = ::opendir("/proc");
    if (!dir) return out;
    while (dirent* entry = ::readdir(dir)) {
        char* end;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        if (namespace_inode(static_cast<pid_t>(pid), kind) != inode) continue;
        auto st = read_proc_stat(static_cast<pid_t>(pid));
        if (st && st->state != 'Z' && st->state != 'X') out.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(dir);
    return out;
}

std::string process_command(pid_t pid) {
    std::string cmdline;
    try {
        cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    } catch (...) {
        return "";
    }
    while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    for (char& c : cmdline)
        if (c == '\0') c = ' ';
    return cmdline;
}

uid_t process_uid(pid_t pid) {
    struct stat st;
    std::string path = "/proc/" + std::to_string(pid);
    return ::stat(path.c_str(), &st) == 0 ? st.st_uid : 0;
}

}  // namespace berth::runtime

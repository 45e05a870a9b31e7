// A recorded pid means the process only if its start time matches: after a reboot or a pid
// wrap-around the number may belong to anyone.
#include <cstdio>
#include <string>

#include "berth/engine/engine.h"
#include "berth/file_io.h"

namespace berth::engine {
namespace {

// state char and start time (field 22) from /proc/<pid>/stat; the command (field 2) may
// hold spaces and parentheses, so parsing starts after its last ')'.
bool read_stat(pid_t pid, char& state, uint64_t& start) {
    std::string text;
    try {
        text = read_file("/proc/" + std::to_string(pid) + "/stat");
    } catch (const Error&) {
        return false;
    }
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) return false;
    const char* p = text.c_str() + paren + 2;
    state = *p;
    int field = 3;
    while (*p && field < 22) {
        if (*p++ == ' ') ++field;
    }
    return std::sscanf(p, "%lu", &start) == 1;
}

}  // namespace

uint64_t process_start_time(pid_t pid) {
    char state;
    uint64_t start = 0;
    return pid > 0 && read_stat(pid, state, start) ? start : 0;
}

bool process_alive(pid_t pid, uint64_t start_time) {
    char state;
    uint64_t start = 0;
    if (pid <= 0 || !read_stat(pid, state, start)) return false;
    return start == start_time && state != 'Z' && state != 'X';
}

}  // namespace berth::engine

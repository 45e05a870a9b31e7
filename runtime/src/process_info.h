// Facts about host processes read from /proc, used to tell a container's init from a
// process that reused its PID.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

struct ProcStat {
    char state;  // R S D Z X ...
    pid_t ppid;
    uint64_t start_time;  // clock ticks since boot: with the pid, identifies a process
};

std::optional<ProcStat> read_proc_stat(pid_t pid);
// True when pid is alive (not a zombie) and started at start_time.
bool is_same_live_process(pid_t pid, uint64_t start_time);
// Inode of /proc/<pid>/ns/<kind>, 0 if unreadable.
uint64_t namespace_inode(pid_t pid, const char* kind);
// Every live process whose /proc/<pid>/ns/<kind> matches the given inode.
std::vector<pid_t> processes_in_namespace(const char* kind, uint64_t inode);
std::string process_command(pid_t pid);
uid_t process_uid(pid_t pid);

}  // namespace berth::runtime

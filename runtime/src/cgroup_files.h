// Reading and writing cgroup control files, with errors that name the OCI field being applied.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

namespace berth::runtime {

void write_knob(const std::string& dir, const std::string& file, const std::string& value,
                const std::string& field);
std::string read_knob(const std::string& dir, const std::string& file);
uint64_t read_knob_number(const std::string& dir, const std::string& file);
// "key value" per line (memory.stat, cpu.stat, memory.events) -> map.
std::map<std::string, uint64_t> read_flat_keyed(const std::string& dir, const std::string& file);
std::vector<pid_t> read_procs(const std::string& dir);
// mkdir -p; returns the directories it created, outermost first.
std::vector<std::string> make_dirs(const std::string& path);
std::string parent_dir(const std::string& path);
// rmdir of a cgroup, retrying while the kernel still tears down its last tasks.
void remove_cgroup_dir(const std::string& path);
// Polls `predicate` every 10 ms for up to timeout_ms.
template <typename Predicate>
bool wait_until(int timeout_ms, const Predicate& predicate) {
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (predicate()) return true;
        ::usleep(10000);
    }
    return false;
}

}  // namespace berth::runtime

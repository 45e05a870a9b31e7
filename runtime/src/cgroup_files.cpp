#include "cgroup_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::runtime {

void write_knob(const std::string& dir, const std::string& file, const std::string& value,
                const std::string& field) {
    try {
        write_existing_file(dir + "/" + file, value);
    } catch (const Error& e) {
        std::string hint = e.errno_value() == ENOENT ? " (controller not available here)" : "";
        throw Error(field + ": write " + value + " to " + dir + "/" + file + ": " +
                        describe_errno(e.errno_value()) + hint,
                    e.errno_value());
    }
}

std::string read_knob(const std::string& dir, const std::string& file) {
    std::string text = read_file(dir + "/" + file);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

uint64_t read_knob_number(const std::string& dir, const std::string& file) {
    try {
        std::string text = read_knob(dir, file);
        if (text == "max") return UINT64_MAX;
        return std::stoull(text);
    } catch (...) {
        return 0;
    }
}

std::map<std::string, uint64_t> read_flat_keyed(const std::string& dir, const std::string& file) {
    std::map<std::string, uint64_t> out;
    std::string text;
    try {
        text = read_file(dir + "/" + file);
    } catch (const Error&) {
        return out;
    }
    std::istringstream lines(text);
    std::string key;
    uint64_t value;
    while (lines >> key >> value) out[key] = value;
    return out;
}

std::vector<pid_t> read_procs(const std::string& dir) {
    std::vector<pid_t> out;
    std::string text;
    try {
        text = read_file(dir + "/cgroup.procs");
    } catch (const Error&) {
        return out;
    }
    std::istringstream lines(text);
    pid_t pid;
    while (lines >> pid) out.push_back(pid);
    return out;
}

std::vector<std::string> make_dirs(const std::string& path) {
    std::vector<std::string> created;
    size_t pos = 1;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        std::string prefix = path.substr(0, next);
        if (::mkdir(prefix.c_str(), 0755) == 0)
            created.push_back(prefix);
        else if (errno != EEXIST)
            throw_errno("create cgroup " + prefix);
        pos = next + 1;
    }
    return created;
}

void remove_cgroup_dir(const std::string& path) {
    bool removed = wait_until(2000, [&] { return ::rmdir(path.c_str()) == 0 || errno == ENOENT; });
    if (!removed) throw_errno("remove cgroup " + path);
}

}  // namespace berth::runtime

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
    // Usually only the leaf is missing: one mkdir. Parents are made on ENOENT, and a parent
    // removed by a container being deleted at the same moment is simply made again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (::mkdir(path.c_str(), 0755) == 0) return {path};
        if (errno == EEXIST) return {};
        if (errno != ENOENT) throw_errno("create cgroup " + path);
        size_t slash = path.rfind('/');
        if (slash == 0 || slash == std::string::npos) throw_errno("create cgroup " + path);
        std::vector<std::string> created = make_dirs(path.substr(0, slash));
        if (::mkdir(path.c_str(), 0755) == 0) {
            created.push_back(path);
            return created;
        }
        if (errno == EEXIST) return created;
    }
    throw_errno("create cgroup " + path);
}

std::string parent_dir(const std::string& path) { return path.substr(0, path.rfind('/')); }

void remove_cgroup_dir(const std::string& path) {
    bool removed = wait_until(2000, [&] { return ::rmdir(path.c_str()) == 0 || errno == ENOENT; });
    if (!removed) throw_errno("remove cgroup " + path);
}

}  // namespace berth::runtime

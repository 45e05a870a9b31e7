#include "network_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "berth/error.h"
#include "berth/fd.h"

namespace berth::engine {
namespace {

std::string helper_path() {
    // Set by the engine when it spawns the monitor (whose own /proc/self/exe may not name a
    // directory holding the other binaries).
    if (const char* set = std::getenv("BERTH_NETNS_HELPER")) return set;
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw_errno("readlink /proc/self/exe");
    std::string path(self, static_cast<size_t>(n));
    return path.substr(0, path.rfind('/') + 1) + "berth-netns";
}

}  // namespace

std::string run_netns_helper(const std::string& root, const std::vector<std::string>& args) {
    std::string binary = helper_path();
    std::vector<std::string> full = {"berth-netns", "--root", root};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    Pipe out = Pipe::create();
    Pipe err = Pipe::create();
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork berth-netns");
    if (child == 0) {
        ::dup2(out.write_end.get(), 1);
        ::dup2(err.write_end.get(), 2);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    out.write_end.reset();
    err.write_end.reset();
    std::string stdout_text, stderr_text;
    pollfd fds[2] = {{out.read_end.get(), POLLIN, 0}, {err.read_end.get(), POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? stdout_text : stderr_text).append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
        if (stderr_text.rfind("berth-netns: ", 0) == 0) stderr_text.erase(0, 13);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            stderr_text = "cannot execute " + binary;
        throw Error(stderr_text.empty() ? "berth-netns failed" : stderr_text);
    }
    return stdout_text;
}

}  // namespace berth::engine

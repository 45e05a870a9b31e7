// docker top's default table (what `ps -ef` prints on the host) for a container's processes,
// read from /proc without running ps.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "berth/engine/stats.h"

namespace berth::engine {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct ProcFacts {
    pid_t ppid = 0;
    unsigned long long cpu_ticks = 0, start_ticks = 0;
    int tty = 0;
    std::string comm;
};

bool read_stat(pid_t pid, ProcFacts& f) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) return false;
    f.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream in(stat.substr(close + 2));
    std::string field[20];
    for (std::string& x : field) in >> x;  // fields 3..22
    if (!in) return false;
    f.ppid = std::stoi(field[1]);
    f.tty = std::stoi(field[4]);
    f.cpu_ticks = std::stoull(field[11]) + std::stoull(field[12]);
    f.start_ticks = std::stoull(field[19]);
    return true;
}

std::string user_of(pid_t pid) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Uid:", 0) != 0) continue;
        uid_t uid = static_cast<uid_t>(std::stoul(line.substr(4)));
        // ps shows the host's name for the uid (docker top runs ps on the host).
        passwd pw{}, *found = nullptr;
        char buf[1024];
        if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return pw.pw_name;
        return std::to_string(uid);
    }
    return "?";
}

std::string tty_name(int tty_nr) {
    unsigned major = (static_cast<unsigned>(tty_nr) >> 8) & 0xfff;
    unsigned minor =
        (static_cast<unsigned>(tty_nr) & 0xff) | ((static_cast<unsigned>(tty_nr) >> 12) & 0xfff00);
    if (tty_nr == 0) return "?";
    if (major >= 136 && major <= 143) return "pts/" + std::to_string((major - 136) * 256 + minor);
    if (major == 4) return "tty" + std::to_string(minor);
    if (major == 5 && minor == 1) return "console";
    return "?";
}

std::string command_line(pid_t pid, const std::string& comm) {
    std::string cmd = slurp("/proc/" + std::to_string(pid) + "/cmdline");
    while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
    for (char& c : cmd)
        if (c == '\0') c = ' ';
    return cmd.empty() ? "[" + comm + "]" : cmd;
}

double boot_time() {
    std::istringstream in(slurp("/proc/stat"));
    std::string key;
    while (in >> key) {
        if (key == "btime") {
            double t = 0;
            in >> t;
            return t;
        }
        in.ignore(1 << 16, '\n');
    }
    return 0;
}

std::string cpu_time(unsigned long long seconds) {
    char buf[32];
    unsigned long long days = seconds / 86400;
    if (days)
        std::snprintf(buf, sizeof buf, "%llu-%02llu:%02llu:%02llu", days, seconds / 3600 % 24,
                      seconds / 60 % 60, seconds % 60);
    else
        std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", seconds / 3600, seconds / 60 % 60,
                      seconds % 60);
    return buf;
}

}  // namespace

TopTable top_table(const std::vector<pid_t>& pids) {
    TopTable t;
    t.titles = {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"};
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double boot = boot_time();
    const time_t now = ::time(nullptr);
    tm today{};
    ::localtime_r(&now, &today);
    for (pid_t pid : pids) {
        ProcFacts f;
        if (!read_stat(pid, f)) continue;  // exited meanwhile
        double started = boot + static_cast<double>(f.start_ticks) / hz;
        double elapsed = static_cast<double>(now) - started;
        double cpu_seconds = static_cast<double>(f.cpu_ticks) / hz;
        // ps's C: CPU time over lifetime, in percent, truncated.
        int c = elapsed > 0 ? static_cast<int>(cpu_seconds * 100 / elapsed) : 0;
        time_t start_time = static_cast<time_t>(started);
        tm st{};
        ::localtime_r(&start_time, &st);
        char stime[16];
        std::strftime(stime, sizeof stime,
                      st.tm_yday == today.tm_yday && st.tm_year == today.tm_year ? "%H:%M" : "%b%d",
                      &st);
        t.processes.push_back({user_of(pid), std::to_string(pid), std::to_string(f.ppid),
                               std::to_string(c), stime, tty_name(f.tty),
                               cpu_time(static_cast<unsigned long long>(cpu_seconds)),
                               command_line(pid, f.comm)});
    }
    return t;
}

}  // namespace berth::engine

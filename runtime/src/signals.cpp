#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "berth/error.h"
#include "berth/runtime/runtime.h"

namespace berth::runtime {
namespace {

struct SignalName {
    const char* name;
    int number;
};

constexpr std::array kSignals = {
    SignalName{"HUP", SIGHUP},   SignalName{"INT", SIGINT},       SignalName{"QUIT", SIGQUIT},
    SignalName{"ILL", SIGILL},   SignalName{"TRAP", SIGTRAP},     SignalName{"ABRT", SIGABRT},
    SignalName{"IOT", SIGIOT},   SignalName{"BUS", SIGBUS},       SignalName{"FPE", SIGFPE},
    SignalName{"KILL", SIGKILL}, SignalName{"USR1", SIGUSR1},     SignalName{"SEGV", SIGSEGV},
    SignalName{"USR2", SIGUSR2}, SignalName{"PIPE", SIGPIPE},     SignalName{"ALRM", SIGALRM},
    SignalName{"TERM", SIGTERM}, SignalName{"STKFLT", SIGSTKFLT}, SignalName{"CHLD", SIGCHLD},
    SignalName{"CONT", SIGCONT}, SignalName{"STOP", SIGSTOP},     SignalName{"TSTP", SIGTSTP},
    SignalName{"TTIN", SIGTTIN}, SignalName{"TTOU", SIGTTOU},     SignalName{"URG", SIGURG},
    SignalName{"XCPU", SIGXCPU}, SignalName{"XFSZ", SIGXFSZ},     SignalName{"VTALRM", SIGVTALRM},
    SignalName{"PROF", SIGPROF}, SignalName{"WINCH", SIGWINCH},   SignalName{"IO", SIGIO},
    SignalName{"POLL", SIGPOLL}, SignalName{"PWR", SIGPWR},       SignalName{"SYS", SIGSYS},
};

}  // namespace

int parse_signal(const std::string& text) {
    if (text.empty()) throw Error("empty signal name");
    if (std::all_of(text.begin(), text.end(), ::isdigit)) {
        int number = std::stoi(text.substr(0, 4));
        if (number <= 0 || number >= NSIG) throw Error("invalid signal number " + text);
        return number;
    }
    std::string name = text;
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    for (const SignalName& s : kSignals)
        if (name == s.name) return s.number;
    // RTMIN+N / RTMAX-N
    if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
        bool min = name[4] == 'N';
        int offset = 0;
        if (name.size() > 5) {
            std::string rest = name.substr(6);
            if ((name[5] != '+' && name[5] != '-') || rest.empty() ||
                !std::all_of(rest.begin(), rest.end(), ::isdigit))
                throw Error("unknown signal \"" + text + "\"");
            offset = std::stoi(rest.substr(0, 3)) * (name[5] == '-' ? -1 : 1);
        }
        int number = (min ? SIGRTMIN : SIGRTMAX) + offset;
        if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
    }
    throw Error("unknown signal \"" + text + "\"");
}

}  // namespace berth::runtime

// `run`: create + start. In the foreground the runtime stays the init's parent, forwards the
// signals it receives and exits with the container's status.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "berth/error.h"
#include "container_internal.h"
#include "signal_forwarder.h"

namespace berth::runtime {
namespace {

// The init exits by itself right after reporting an exec failure; give it a moment to do so
// before forcing it, so its 126/127 status is what we return.
int reap_failed_init(pid_t init) {
    int status = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::waitpid(init, &status, WNOHANG) == init) return exit_code_of(status);
        ::usleep(10000);
    }
    ::kill(init, SIGKILL);
    while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    return 1;
}

}  // namespace

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach) {
    StateStore store(root_);
    if (detach) {
        create_container(store, id, options);
        try {
            start_container(store, id);
        } catch (...) {
            destroy_container(store, store.load(id));
            throw;
        }
        return 0;
    }

    // Signals are blocked before the clone so none meant for the container is lost in
    // between; the init restores an empty mask for itself.
    SignalForwarder forwarder;

    pid_t init = create_container(store, id, options);
    ContainerRecord record = store.load(id);
    int code;
    try {
        start_container(store, id);
        code = forwarder.wait(init);
    } catch (const Error& e) {
        // The program could not be executed: the init reports why and exits 126/127.
        std::fprintf(stderr, "berth-runtime: %s\n", e.what());
        code = reap_failed_init(init);
    }
    destroy_container(store, record);
    return code;
}

}  // namespace berth::runtime

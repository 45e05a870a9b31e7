// berth-monitor --root DIR --runroot DIR [--attach [--size ROWSxCOLS]] ID: the per-container
// monitor (like conmon) that `berth run`/`start` spawn in its own session. A separate small static
// binary, not a `berth` subcommand: it starts (twice: once more from its read-only image) on every
// container start, and the CLI's dynamic libraries (libcurl's tree) cost ~50 ms to load.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "berth/engine/monitor.h"
#include "berth/runtime/runtime.h"

int main(int argc, char** argv) {
    std::string root, run_root, id;
    bool attach = false;
    unsigned rows = 0, cols = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--root" && i + 1 < argc)
            root = argv[++i];
        else if (a == "--runroot" && i + 1 < argc)
            run_root = argv[++i];
        else if (a == "--attach")
            attach = true;
        else if (a == "--size" && i + 1 < argc)
            std::sscanf(argv[++i], "%ux%u", &rows, &cols);
        else if (id.empty() && !a.empty() && a[0] != '-')
            id = a;
        else {
            std::fprintf(stderr, "berth-monitor: unexpected argument %s\n", a.c_str());
            return 125;
        }
    }
    if (root.empty() || run_root.empty() || id.empty()) {
        std::fprintf(stderr,
                     "usage: berth-monitor --root DIR --runroot DIR [--attach [--size RxC]] ID\n");
        return 125;
    }
    try {
        // The container's init is cloned from this process: run from a read-only (or
        // sealed) image of this binary, so /proc/<init>/exe never reaches a writable file on
        // the host (CVE-2019-5736), as berth-runtime does.
        berth::runtime::ensure_running_from_sealed_copy(argc, argv);
    } catch (const std::exception& e) {
        std::string line = std::string("error 125 ") + e.what() + "\n";
        [[maybe_unused]] ssize_t n = ::write(3, line.data(), line.size());
        return 125;
    }
    return berth::engine::monitor_main(root, run_root, id, attach, rows, cols);
}

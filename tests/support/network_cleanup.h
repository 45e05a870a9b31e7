// For tests that run containers through the berth CLI in a private store: removes what the
// store's networks left on the host (the default "bridge" a plain `berth run` creates: its
// bridge device, nft table, berth-dns, /run/berth/<hash>/) with tests/support/
// network_cleanup.sh. The target defines BERTH_NETWORK_CLEANUP_SCRIPT as that script's path.
#pragma once

#include <string>

#include "support/subprocess.h"

namespace berth::test {

// berth_binary: the berth the test runs (berth-netns beside it names the store's resources).
// Call after the containers are removed (TearDown runs even when the test failed).
inline void cleanup_store_networks(const std::string& berth_binary, const std::string& root,
                                   const std::string& run_root) {
    std::string bin_dir = berth_binary.substr(0, berth_binary.rfind('/'));
    run({"/bin/bash", "-c", "source \"$0\" && berth_network_cleanup \"$1\" \"$2\" \"$3\"",
         BERTH_NETWORK_CLEANUP_SCRIPT, bin_dir, root, run_root},
        60);
}

}  // namespace berth::test

// The netns tests run in a network and mount namespace of their own (see
// netns_test_support.h): created here, before GoogleTest starts any thread.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>

#include "berth/netns/netlink.h"

int main(int argc, char** argv) {
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
        std::perror("unshare(CLONE_NEWNET|CLONE_NEWNS) (the netns tests need root)");
        return 1;
    }
    // Mounts made by the tests never propagate back to the host.
    if (::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::perror("make / private");
        return 1;
    }
    berth::netns::Netlink().set_up("lo");
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

// Support for the netns library tests. The test binary moves itself into a private network and
// mount namespace before any test runs (see netns_test_main.cpp): every bridge, veth, address,
// nftables table and sysctl a test touches lives in namespaces this process created, and the
// host's own network is never changed. Each test still removes what it made.
#pragma once

#include <string>
#include <vector>

#include "berth/netns/networks.h"

namespace berth::netns::test {

struct Shell {
    int status = -1;
    std::string out;
};
// Runs a /bin/sh command line, capturing stdout+stderr.
Shell sh(const std::string& command);
// "nsenter --net=PATH -- " prefix for running a tool inside a namespace.
std::string in_ns(const std::string& netns_path);

// A private store root, namespace dir and nftables table per test; everything is removed
// (networks released, table deleted, files removed) at the end even after a failure.
class NetworksSandbox {
  public:
    // dns_daemon: the berth-dns binary to drive (empty: no DNS).
    explicit NetworksSandbox(const std::string& dns_daemon = "");
    ~NetworksSandbox();
    Networks& networks() { return *networks_; }
    NetworksConfig config() const { return networks_->config(); }
    const std::string& dir() const { return dir_; }
    std::string unique(const std::string& prefix) const;

  private:
    std::string dir_;
    std::unique_ptr<Networks> networks_;
};

}  // namespace berth::netns::test

namespace berth::netns::test {

// A background process (started with /bin/sh -c "exec ..."), killed by its pid when the
// owner goes.
class Background {
  public:
    explicit Background(const std::string& command);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

  private:
    pid_t pid_ = -1;
};

// Retries `command` until it exits 0 or `tries` x 50 ms passed; returns the last result.
Shell sh_until_ok(const std::string& command, int tries = 40);

}  // namespace berth::netns::test

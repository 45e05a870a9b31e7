// A real registry for the pull tests: rootfs-fixtures/registry.sh starts Debian's
// docker-registry on a free 127.0.0.1 port with the fixture images pushed, once per test
// suite, and stops it by PID when the suite ends, whether its tests passed or not.
#pragma once

#include <memory>
#include <string>

#include "images_support.h"

namespace berth::test {

class Registry {
  public:
    // Throws std::runtime_error with the script's stderr if it cannot start. basic_auth: the
    // registry wants user "berth", password "berth-secret" (only berth/busybox:1 is pushed).
    explicit Registry(bool basic_auth = false);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    const std::string& host() const { return host_; }  // "127.0.0.1:PORT"
    std::string storage() const { return dir_.path() + "/storage"; }
    std::string log() const { return slurp(dir_.path() + "/registry.log"); }
    // The registry's data file for a blob (to tamper with it).
    std::string blob_file(const std::string& hex) const;

  private:
    TempDir dir_{"berth-registry"};
    std::string host_;
};

}  // namespace berth::test

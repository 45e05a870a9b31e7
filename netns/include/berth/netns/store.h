// Networks persisted as <root>/networks/<id>.json, guarded by one flock (<root>/networks/lock):
// shared for readers, exclusive for anything that allocates, releases or changes the kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "berth/fd.h"
#include "berth/netns/network.h"

namespace berth::netns {

class NetworkStore {
  public:
    explicit NetworkStore(const std::string& root);

    class Lock {
      public:
        explicit Lock(UniqueFd fd) : fd_(std::move(fd)) {}

      private:
        UniqueFd fd_;  // closing it drops the flock
    };
    Lock lock_exclusive() const;
    Lock lock_shared() const;

    std::vector<Network> load_all() const;
    // By exact name, full id, or unique id prefix (at least 3 characters).
    std::optional<Network> find(const std::string& name_or_id) const;
    void save(const Network& network) const;
    void erase(const Network& network) const;
    const std::string& dir() const { return dir_; }

  private:
    Lock lock(int operation) const;
    std::string dir_;
};

}  // namespace berth::netns

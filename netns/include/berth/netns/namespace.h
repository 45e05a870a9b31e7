// Network namespaces owned through a bind mount of their nsfs file (like `ip netns add`), so
// tools can enter them (nsenter --net=PATH, ip netns exec) and the OCI spec can name the path.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "berth/fd.h"

namespace berth::netns {

class NetNamespace {
  public:
    // A new network namespace bind-mounted at `path` (the directory is created and made a
    // shared mount point so unmounts reach mount namespaces that copied it), with lo up.
    // Throws berth::Error; nothing is left behind on failure.
    static NetNamespace create(const std::string& path);
    // Opens an existing one without taking ownership of its mount.
    static NetNamespace open(const std::string& path);

    NetNamespace(NetNamespace&& other) noexcept
        : fd_(std::move(other.fd_)),
          path_(std::move(other.path_)),
          owns_mount_(std::exchange(other.owns_mount_, false)) {}
    NetNamespace& operator=(NetNamespace&& other) noexcept;
    ~NetNamespace();

    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    // Keep the mount when this owner goes (the container owns it from now on).
    void release() { owns_mount_ = false; }

  private:
    NetNamespace(UniqueFd fd, std::string path, bool owns)
        : fd_(std::move(fd)), path_(std::move(path)), owns_mount_(owns) {}
    UniqueFd fd_;
    std::string path_;
    bool owns_mount_ = false;
};

// Unmounts and unlinks a namespace mount; returns false when there was none. When it was the
// directory's last one, the directory's own shared bind mount goes too.
bool remove_netns_mount(const std::string& path);
// True when `path` is a bind mount of a network namespace (nsfs), i.e. it still exists.
bool is_netns_mount(const std::string& path);

// Runs `fn` on a short-lived thread that entered the namespace (setns), so the caller's
// threads never change namespace. Exceptions from `fn` are rethrown here.
void run_in_netns(int netns_fd, const std::function<void()>& fn);

}  // namespace berth::netns

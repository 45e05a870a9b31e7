#include "dns_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "berth/error.h"

namespace berth::netns {

namespace {

void set_int_option(int fd, int level, int name, int value, const std::string& what) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno(what);
}

UniqueFd open_listener(int type, std::uint32_t address, std::uint16_t port, const char* proto) {
    std::string where = std::string(proto) + " " + endpoint_text(address, port);
    UniqueFd fd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket " + where);
    set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR " + where);
    // Every worker binds its own socket; the kernel spreads clients over them.
    set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT " + where);
    // The bridge may get its gateway address after berth-dns read the record file.
    set_int_option(fd.get(), IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND " + where);
    if (type == SOCK_DGRAM) {
        // Room for bursts (capped by net.core.rmem_max; not fatal if smaller).
        int size = 4 << 20;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = address;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw_errno("bind " + where);
    if (type == SOCK_STREAM && ::listen(fd.get(), 1024) != 0) throw_errno("listen " + where);
    return fd;
}

}  // namespace

std::string endpoint_text(std::uint32_t address, std::uint16_t port) {
    char text[INET_ADDRSTRLEN] = {0};
    in_addr a{};
    a.s_addr = address;
    ::inet_ntop(AF_INET, &a, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port);
}

std::string endpoint_text(const sockaddr_in& address) {
    return endpoint_text(address.sin_addr.s_addr, ntohs(address.sin_port));
}

UniqueFd open_udp_listener(std::uint32_t address, std::uint16_t port) {
    return open_listener(SOCK_DGRAM, address, port, "udp");
}

UniqueFd open_tcp_listener(std::uint32_t address, std::uint16_t port) {
    return open_listener(SOCK_STREAM, address, port, "tcp");
}

UniqueFd open_upstream_socket(const sockaddr_in& upstream) {
    std::string where = "upstream " + endpoint_text(upstream);
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket " + where);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&upstream), sizeof upstream) != 0)
        throw_errno("connect " + where);
    return fd;
}

}  // namespace berth::netns

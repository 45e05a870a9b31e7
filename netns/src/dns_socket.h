// Socket setup for the DNS workers: listeners that can be bound before their address exists
// (IP_FREEBIND) and shared by every worker (SO_REUSEPORT), and connected upstream sockets.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "berth/fd.h"

namespace berth::netns {

// `address` in network byte order. Throws berth::Error("bind udp 10.88.0.1:53: EADDRINUSE").
UniqueFd open_udp_listener(std::uint32_t address, std::uint16_t port);
UniqueFd open_tcp_listener(std::uint32_t address, std::uint16_t port);
// Non-blocking UDP socket connected to the upstream (replies from anyone else are dropped by
// the kernel).
UniqueFd open_upstream_socket(const sockaddr_in& upstream);
std::string endpoint_text(std::uint32_t address, std::uint16_t port);
std::string endpoint_text(const sockaddr_in& address);

}  // namespace berth::netns

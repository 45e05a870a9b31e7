// Small helpers shared by the networks code: random ids and derived names.
#pragma once

#include <string>

#include "berth/netns/address.h"

namespace berth::netns::detail {

std::string random_hex(size_t bytes);  // from /dev/urandom
// Docker's scheme: 02:42 + the IPv4 address, stable and unique within a network.
std::string mac_for(Ipv4 ip);

}  // namespace berth::netns::detail

// Keeps berth-dns in step with the networks: one record file per network (the contract in
// berth/netns/dns_records.h), the daemon started while some network has a container and
// stopped when none has.
#pragma once

#include <string>
#include <vector>

#include "berth/netns/network.h"
#include "berth/netns/networks.h"

namespace berth::netns::detail {

void write_dns_records(const NetworksConfig& config, const Network& network);
void remove_dns_records(const NetworksConfig& config, const std::string& network_name);
// Starts the daemon when `needed` and it is not running; stops it when not needed.
void ensure_dns_daemon(const NetworksConfig& config, bool needed);

}  // namespace berth::netns::detail

// The OCI config.json of one start of a container: the runtime library's default spec
// (Docker's 14 capabilities, masked and read-only paths, Docker's seccomp profile) with the
// record's process, mounts, limits, security options and namespaces applied.
#pragma once

#include <string>
#include <vector>

#include "berth/engine/container.h"
#include "berth/engine/container_store.h"
#include "network_setup.h"
#include "user_lookup.h"

namespace berth::engine {

std::string bundle_config_json(const ContainerStore& store, const ContainerRecord& record,
                               const ResolvedUser& user, const NetworkAttachment& network);

// "net_admin", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays. Throws for unknown names.
std::string normalize_capability(const std::string& name);
// Docker's default set, in its order.
const std::vector<std::string>& default_capabilities();

}  // namespace berth::engine

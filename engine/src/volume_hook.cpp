// Named volumes arrive with the volumes part of the engine; until then -v NAME:/path fails
// with a clear error instead of silently binding something else.
#include "berth/error.h"
#include "mounts.h"

namespace berth::engine {

std::string resolve_named_volume(const ContainerStore&, const std::string& name) {
    throw Error("-v " + name + ":...: named volumes are not supported yet (use an absolute host path)");
}

}  // namespace berth::engine

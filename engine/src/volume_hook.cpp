// The engine's use of the volume store: -v resolved at create, references taken once the
// container exists, the image's content copied into new volumes when the rootfs is first
// mounted, references dropped (and anonymous volumes removed with rm -v / run --rm) at rm.
#include "berth/engine/volumes.h"
#include "berth/error.h"
#include "mounts.h"

namespace berth::engine {
namespace {

// The parsed -v whose destination a volume mount of the record has (destinations are unique
// per container, and host_config.binds keeps the text the user gave).
std::optional<VolumeSpec> spec_for(const ContainerRecord& record, const MountPoint& mount) {
    for (const std::string& text : record.host_config.binds) {
        VolumeSpec spec = parse_volume_spec(text);
        if (spec.destination == mount.destination) return spec;
    }
    return std::nullopt;
}

}  // namespace

MountPoint parse_volume_flag(const ContainerStore& store, const std::string& text) {
    VolumeSpec spec;
    try {
        spec = parse_volume_spec(text);
    } catch (const Error& e) {
        throw Error(std::string("invalid -v: ") + e.what());  // names the flag, as docker does
    }
    ResolvedMount m = VolumeStore(store.root()).resolve(spec);
    MountPoint p;
    p.type = m.type;
    p.name = m.name;
    p.source = m.source;
    p.destination = m.destination;
    p.rw = !m.read_only;
    // docker's Mode is the options as given; a volume without any shows "z".
    p.mode = spec.mode.empty() && m.type == "volume" ? "z" : spec.mode;
    return p;
}

void acquire_volumes(const ContainerStore& store, const ContainerRecord& record) {
    VolumeStore volumes(store.root());
    for (const MountPoint& m : record.mounts) {
        if (m.type != "volume") continue;
        auto spec = spec_for(record, m);
        ResolvedMount r;
        r.type = "volume";
        r.name = m.name;
        r.source = m.source;
        r.destination = m.destination;
        r.anonymous = spec && spec->kind == VolumeSpec::Kind::anonymous;
        volumes.acquire(r, record.id);
    }
}

void populate_volumes(const ContainerStore& store, const ContainerRecord& record) {
    VolumeStore volumes(store.root());
    for (const MountPoint& m : record.mounts) {
        if (m.type != "volume") continue;
        auto spec = spec_for(record, m);
        if (spec && spec->nocopy) continue;
        volumes.populate(m.name, store.rootfs_dir(record.id), m.destination);
    }
}

std::vector<std::string> release_volumes(const ContainerStore& store, const std::string& id,
                                         bool remove_anonymous) {
    return VolumeStore(store.root()).release_all(id, remove_anonymous);
}

}  // namespace berth::engine

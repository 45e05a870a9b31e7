// Named volumes, as docker's "local" driver keeps them:
//   <root>/volumes/<name>/_data         the directory containers mount
//   <root>/volumes/<name>/volume.json   CreatedAt, Labels, Anonymous, the container ids that
//                                       reference it
//   <root>/volumes/.lock                flock: shared for readers, exclusive for changes
// A container references a volume from create until rm (acquire/release); `volume rm` refuses
// a referenced volume unless forced. A reference whose container directory
// (<root>/containers/<id>) is gone is stale (a crash between rm and release) and ignored.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

struct Volume {
    std::string name;
    std::string mountpoint;  // <root>/volumes/<name>/_data
    std::string created_at;  // RFC 3339, UTC
    std::map<std::string, std::string> labels;
    bool anonymous = false;          // made for one container by `-v /path`; `rm -v` removes it
    std::vector<std::string> users;  // container ids holding a reference

    // `docker volume inspect`'s object: CreatedAt, Driver, Labels, Mountpoint, Name, Options
    // (null: the local driver's mount options are not offered), Scope.
    nlohmann::json inspect_json() const;
};

// One `-v` / `--volume` argument: [SOURCE:]DESTINATION[:OPTIONS].
struct VolumeSpec {
    enum class Kind { bind, named, anonymous };
    Kind kind = Kind::anonymous;
    std::string source;       // host path (bind) or volume name (named); empty for anonymous
    std::string destination;  // absolute path in the container
    bool read_only = false;
    bool nocopy = false;  // do not copy the image's content into a new volume
    std::string mode;     // the options as given ("ro", "nocopy,ro"; empty when none)
};

// Parses docker's -v syntax: "/host:/ctr:ro", "name:/ctr", "/ctr", options ro|rw|nocopy|z|Z
// and the propagation modes (accepted, private is what we do). Throws a one-line Error naming
// what is wrong ("invalid volume specification 'x': ...").
VolumeSpec parse_volume_spec(const std::string& text);

// What the engine puts in the OCI bundle (a bind mount) and in inspect's Mounts.
struct ResolvedMount {
    std::string type;  // "bind" or "volume"
    std::string name;  // volume name; empty for a bind
    std::string source;
    std::string destination;
    bool read_only = false;
    bool anonymous = false;  // a volume made for this container alone
    bool nocopy = false;
    // docker inspect's Mounts entry: Type, Name, Source, Destination, Driver, Mode, RW,
    // Propagation.
    nlohmann::json inspect_json() const;
};

// docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_volume_name(const std::string& name);

class VolumeStore {
  public:
    explicit VolumeStore(std::string store_root);

    // Creates a volume (a random 64-hex name when name is empty). Creating an existing name
    // returns that volume unchanged, as docker does. Anonymous volumes carry docker's
    // com.docker.volume.anonymous label.
    Volume create(const std::string& name, const std::map<std::string, std::string>& labels = {},
                  bool anonymous = false);
    std::optional<Volume> find(const std::string& name) const;
    Volume get(const std::string& name) const;  // Error "no such volume: NAME"
    std::vector<Volume> list() const;           // sorted by name
    // Refused while a live container references it unless force. Error if unknown.
    void remove(const std::string& name, bool force);
    // Removes unreferenced volumes (anonymous ones only unless all, as docker since 23.0).
    // Returns the names removed and the bytes their data used.
    struct Pruned {
        std::vector<std::string> names;
        uint64_t bytes = 0;
    };
    Pruned prune(bool all);

    // The engine's three steps for one -v:
    // 1. Before the container has an ID: where the mount comes from. A named volume's source
    //    is its _data directory, a new anonymous volume gets its random name here; a missing
    //    bind source directory is created (docker -v does). Nothing else changes.
    ResolvedMount resolve(const VolumeSpec& spec);
    // 2. Once <root>/containers/<id> exists: creates the volume if missing and records the
    //    container as a user (no-op for binds).
    void acquire(const ResolvedMount& mount, const std::string& container_id);
    // 3. With the container's rootfs mounted, before its program runs: when the volume is
    //    empty, copies the rootfs's content at the destination into it (resolved inside
    //    rootfs_dir, never outside it), with modes, owners and timestamps, as docker does on
    //    first use. Skip it for nocopy.
    void populate(const std::string& name, const std::string& rootfs_dir,
                  const std::string& destination);
    // All three (rootfs_dir empty: no copy).
    ResolvedMount mount_for(const VolumeSpec& spec, const std::string& container_id,
                            const std::string& rootfs_dir);
    // For the engine at container rm: drops container_id's references; with
    // remove_anonymous (`rm -v`) an anonymous volume no other container uses is deleted.
    // Returns the names of deleted volumes.
    std::vector<std::string> release_all(const std::string& container_id, bool remove_anonymous);
    // Volumes a container references (for `volume rm`'s message and tests).
    std::vector<std::string> live_users(const Volume& volume) const;

    std::string volumes_dir() const { return root_ + "/volumes"; }

  private:
    bool container_exists(const std::string& id) const;
    std::string record_path(const std::string& name) const;
    void save(const Volume& volume) const;
    Volume load(const std::string& name) const;
    Volume create_locked(const std::string& name, const std::map<std::string, std::string>& labels,
                         bool anonymous);
    void delete_locked(const std::string& name);

    std::string root_;
};

}  // namespace berth::engine

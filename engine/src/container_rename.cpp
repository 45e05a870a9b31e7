// ContainerStore::rename: a new name under the names lock, so two renames (or a create) can
// never both take one name; save_record, which rename and network connect/disconnect use.
#include <cctype>

#include "berth/engine/container_store.h"
#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::engine {

void ContainerStore::rename(const std::string& id, const std::string& new_name) {
    std::string name = !new_name.empty() && new_name[0] == '/' ? new_name.substr(1) : new_name;
    bool ok =
        !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw Error("invalid container name \"" + new_name +
                    "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    UniqueFd names = lock_names();
    UniqueFd own = lock(id);
    ContainerRecord record = load(id);
    if (record.name == name)
        throw Error("renaming a container with the same name as its current name");
    for (const std::string& other : ids()) {
        if (other == id) continue;
        std::string holder;
        try {
            holder = load(other).name;
        } catch (const Error&) {
            continue;  // a record being written or removed right now
        }
        if (holder == name)
            throw Error("the container name \"/" + name + "\" is already in use by container " +
                        other + ": remove (or rename) that container to reuse the name");
    }
    record.name = name;
    save_record(record);
}

void ContainerStore::save_record(const ContainerRecord& record) const {
    write_file_atomic(dir(record.id) + "/container.json", record.to_json().dump(2));
}

}  // namespace berth::engine

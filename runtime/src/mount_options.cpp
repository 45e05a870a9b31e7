#include "mount_options.h"

#include <sys/mount.h>

#include <array>

namespace berth::runtime {
namespace {

struct AttrOption {
    const char* name;
    uint64_t attr;
    bool clear;  // "rw", "suid"... clear the attribute instead of setting it
};

// MOUNT_ATTR__ATIME is a field, not a bit: the atime options replace each other.
constexpr std::array kAttrOptions = {
    AttrOption{"ro", MOUNT_ATTR_RDONLY, false},
    AttrOption{"rw", MOUNT_ATTR_RDONLY, true},
    AttrOption{"nosuid", MOUNT_ATTR_NOSUID, false},
    AttrOption{"suid", MOUNT_ATTR_NOSUID, true},
    AttrOption{"nodev", MOUNT_ATTR_NODEV, false},
    AttrOption{"dev", MOUNT_ATTR_NODEV, true},
    AttrOption{"noexec", MOUNT_ATTR_NOEXEC, false},
    AttrOption{"exec", MOUNT_ATTR_NOEXEC, true},
    AttrOption{"nodiratime", MOUNT_ATTR_NODIRATIME, false},
    AttrOption{"diratime", MOUNT_ATTR_NODIRATIME, true},
    AttrOption{"nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false},
    AttrOption{"symfollow", MOUNT_ATTR_NOSYMFOLLOW, true},
};

struct AtimeOption {
    const char* name;
    uint64_t attr;
};
constexpr std::array kAtimeOptions = {
    AtimeOption{"relatime", MOUNT_ATTR_RELATIME},
    AtimeOption{"norelatime", MOUNT_ATTR_STRICTATIME},
    AtimeOption{"strictatime", MOUNT_ATTR_STRICTATIME},
    AtimeOption{"noatime", MOUNT_ATTR_NOATIME},
    AtimeOption{"atime", MOUNT_ATTR_RELATIME},
};

struct PropagationOption {
    const char* name;
    unsigned long flag;
    bool recursive;
};
constexpr std::array kPropagationOptions = {
    PropagationOption{"shared", MS_SHARED, false},
    PropagationOption{"rshared", MS_SHARED, true},
    PropagationOption{"slave", MS_SLAVE, false},
    PropagationOption{"rslave", MS_SLAVE, true},
    PropagationOption{"private", MS_PRIVATE, false},
    PropagationOption{"rprivate", MS_PRIVATE, true},
    PropagationOption{"unbindable", MS_UNBINDABLE, false},
    PropagationOption{"runbindable", MS_UNBINDABLE, true},
};

// Options that only mean something to mount(8) or to other runtimes' defaults.
constexpr std::array kIgnoredOptions = {
    "defaults", "async", "sync",   "auto",     "noauto",     "nouser",   "user",       "loud",
    "silent",   "mand",  "nomand", "iversion", "noiversion", "lazytime", "nolazytime", "dirsync"};

bool apply_attr_option(const std::string& option, MountRequest& request) {
    std::string name = option;
    bool recursive = false;
    if (name.size() > 1 && name[0] == 'r' && name != "rw" && name != "relatime" && name != "ro" &&
        name != "rbind") {
        // Recursive forms: rro, rrw, rnosuid, rnodev, rnoexec, ...
        std::string inner = name.substr(1);
        for (const auto& a : kAttrOptions)
            if (inner == a.name) {
                name = inner;
                recursive = true;
            }
    }
    for (const auto& a : kAttrOptions) {
        if (name != a.name) continue;
        if (a.clear) {
            request.attr_set &= ~a.attr;
            request.attr_clear |= a.attr;
        } else {
            request.attr_set |= a.attr;
            request.attr_clear &= ~a.attr;
        }
        request.recursive_attrs = request.recursive_attrs || recursive;
        return true;
    }
    for (const auto& a : kAtimeOptions) {
        if (name != a.name) continue;
        request.attr_set = (request.attr_set & ~MOUNT_ATTR__ATIME) | a.attr;
        request.attr_clear |= MOUNT_ATTR__ATIME;
        return true;
    }
    return false;
}

}  // namespace

MountRequest parse_mount_options(const std::vector<std::string>& options) {
    MountRequest request;
    for (const std::string& option : options) {
        if (option == "bind" || option == "rbind") {
            request.bind = true;
            request.recursive = request.recursive || option == "rbind";
            continue;
        }
        if (apply_attr_option(option, request)) continue;
        bool matched = false;
        for (const auto& p : kPropagationOptions)
            if (option == p.name) {
                request.propagation = p.flag;
                request.propagation_recursive = p.recursive;
                matched = true;
            }
        for (const char* ignored : kIgnoredOptions) matched = matched || option == ignored;
        if (matched) continue;
        size_t eq = option.find('=');
        if (eq == std::string::npos)
            request.fs_params.emplace_back(option, "");
        else
            request.fs_params.emplace_back(option.substr(0, eq), option.substr(eq + 1));
    }
    return request;
}

std::vector<std::string> known_mount_options() {
    std::vector<std::string> out = {"bind", "rbind"};
    for (const auto& a : kAttrOptions) {
        out.emplace_back(a.name);
        out.emplace_back(std::string("r") + a.name);
    }
    for (const auto& a : kAtimeOptions) out.emplace_back(a.name);
    for (const auto& p : kPropagationOptions) out.emplace_back(p.name);
    for (const char* i : kIgnoredOptions) out.emplace_back(i);
    return out;
}

}  // namespace berth::runtime

// linux.resources as plain data. Every field is optional: `update` changes only what it is
// given, and a cgroup driver writes only what is set.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

struct MemoryResources {
    std::optional<int64_t> limit, reservation, swap;  // bytes; -1 = unlimited
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;
};

struct CpuResources {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;  // -1 = unlimited
    std::optional<uint64_t> period;
    std::optional<std::string> cpus, mems;
};

struct ThrottleDevice {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;
};

struct WeightDevice {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight;
};

struct BlockIoResources {
    std::optional<uint16_t> weight;
    std::vector<WeightDevice> weight_devices;
    std::vector<ThrottleDevice> read_bps, write_bps, read_iops, write_iops;
    bool empty() const {
        return !weight && weight_devices.empty() && read_bps.empty() && write_bps.empty() &&
               read_iops.empty() && write_iops.empty();
    }
};

struct HugepageLimit {
    std::string page_size;  // "2MB"
    uint64_t limit = 0;
};

struct Resources {
    MemoryResources memory;
    CpuResources cpu;
    std::optional<int64_t> pids_limit;  // <= 0 = unlimited
    BlockIoResources block_io;
    std::vector<HugepageLimit> hugepage_limits;
    std::map<std::string, std::string> unified;
};

}  // namespace berth::runtime

// linux.resources -> Resources, with errors naming the field.
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/runtime/spec.h"
#include "json_fields.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

std::optional<int64_t> get_int(const json& o, const char* key, const std::string& f) {
    const json* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) field_error(f + "." + key, "must be an integer");
    return v->get<int64_t>();
}

std::optional<uint64_t> get_uint(const json& o, const char* key, const std::string& f) {
    const json* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
        field_error(f + "." + key, "must be a non-negative integer");
    return v->get<uint64_t>();
}

std::optional<std::string> get_string(const json& o, const char* key, const std::string& f) {
    const json* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) field_error(f + "." + key, "must be a string");
    return v->get<std::string>();
}

std::optional<uint16_t> get_weight(const json& o, const char* key, const std::string& f) {
    auto v = get_uint(o, key, f);
    if (!v) return std::nullopt;
    if (*v != 0 && (*v < 10 || *v > 1000)) field_error(f + "." + key, "must be 10..1000");
    return static_cast<uint16_t>(*v);
}

std::vector<ThrottleDevice> throttles(const json& o, const char* key, const std::string& f) {
    std::vector<ThrottleDevice> out;
    const json* list = member(o, key);
    if (!list) return out;
    if (!list->is_array()) field_error(f + "." + key, "must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
        std::string df = f + "." + key + "[" + std::to_string(i) + "]";
        ThrottleDevice d;
        d.major = get_int((*list)[i], "major", df).value_or(-1);
        d.minor = get_int((*list)[i], "minor", df).value_or(-1);
        if (d.major < 0 || d.minor < 0) field_error(df, "needs major and minor");
        d.rate = get_uint((*list)[i], "rate", df).value_or(0);
        out.push_back(d);
    }
    return out;
}

}  // namespace

Resources parse_resources(const json& r, const std::string& f) {
    if (!r.is_object()) field_error(f, "must be an object");
    Resources res;
    if (const json* m = member(r, "memory")) {
        std::string mf = f + ".memory";
        res.memory.limit = get_int(*m, "limit", mf);
        res.memory.reservation = get_int(*m, "reservation", mf);
        res.memory.swap = get_int(*m, "swap", mf);
        res.memory.swappiness = get_uint(*m, "swappiness", mf);
        if (const json* v = member(*m, "disableOOMKiller"))
            res.memory.disable_oom_killer = v->get<bool>();
        for (const char* unsupported : {"kernel", "kernelTCP"})
            if (member(*m, unsupported))
                field_error(mf + "." + unsupported, "kernel memory limits were removed from Linux");
        if (res.memory.limit && *res.memory.limit != -1 && *res.memory.limit < 4096 * 2)
            field_error(mf + ".limit", "is below the 8 KiB minimum");
        if (res.memory.swap && res.memory.limit && *res.memory.swap != -1 &&
            *res.memory.limit != -1 && *res.memory.swap < *res.memory.limit)
            field_error(mf + ".swap", "must be at least memory.limit (it counts memory + swap)");
    }
    if (const json* c = member(r, "cpu")) {
        std::string cf = f + ".cpu";
        res.cpu.shares = get_uint(*c, "shares", cf);
        res.cpu.quota = get_int(*c, "quota", cf);
        res.cpu.period = get_uint(*c, "period", cf);
        res.cpu.cpus = get_string(*c, "cpus", cf);
        res.cpu.mems = get_string(*c, "mems", cf);
        for (const char* rt : {"realtimeRuntime", "realtimePeriod", "idle", "burst"})
            if (member(*c, rt)) field_error(cf + "." + rt, "not supported by berth-runtime");
    }
    if (const json* p = member(r, "pids")) res.pids_limit = get_int(*p, "limit", f + ".pids");
    if (const json* b = member(r, "blockIO")) {
        std::string bf = f + ".blockIO";
        res.block_io.weight = get_weight(*b, "weight", bf);
        if (member(*b, "leafWeight"))
            field_error(bf + ".leafWeight", "not supported by berth-runtime");
        if (const json* wd = member(*b, "weightDevice")) {
            for (size_t i = 0; i < wd->size(); ++i) {
                std::string df = bf + ".weightDevice[" + std::to_string(i) + "]";
                WeightDevice d;
                d.major = get_int((*wd)[i], "major", df).value_or(-1);
                d.minor = get_int((*wd)[i], "minor", df).value_or(-1);
                if (d.major < 0 || d.minor < 0) field_error(df, "needs major and minor");
                d.weight = get_weight((*wd)[i], "weight", df);
                res.block_io.weight_devices.push_back(d);
            }
        }
        res.block_io.read_bps = throttles(*b, "throttleReadBpsDevice", bf);
        res.block_io.write_bps = throttles(*b, "throttleWriteBpsDevice", bf);
        res.block_io.read_iops = throttles(*b, "throttleReadIOPSDevice", bf);
        res.block_io.write_iops = throttles(*b, "throttleWriteIOPSDevice", bf);
    }
    if (const json* h = member(r, "hugepageLimits")) {
        for (size_t i = 0; i < h->size(); ++i) {
            std::string hf = f + ".hugepageLimits[" + std::to_string(i) + "]";
            HugepageLimit limit{get_string((*h)[i], "pageSize", hf).value_or(""),
                                get_uint((*h)[i], "limit", hf).value_or(0)};
            if (limit.page_size.empty() || limit.page_size.find('/') != std::string::npos)
                field_error(hf + ".pageSize", "must be a page size like \"2MB\"");
            res.hugepage_limits.push_back(limit);
        }
    }
    if (const json* u = member(r, "unified")) {
        if (!u->is_object()) field_error(f + ".unified", "must be an object");
        for (auto it = u->begin(); it != u->end(); ++it) {
            if (!it.value().is_string())
                field_error(f + ".unified." + it.key(), "must be a string");
            const std::string& key = it.key();
            if (key.empty() || key.find('/') != std::string::npos ||
                key.find('.') == std::string::npos || key.rfind("cgroup.", 0) == 0)
                field_error(f + ".unified." + key, "is not a cgroup v2 controller file");
            res.unified[key] = it.value().get<std::string>();
        }
    }
    for (const char* unsupported : {"network", "rdma"})
        if (const json* v = member(r, unsupported); v && !v->empty())
            field_error(f + "." + unsupported, "not supported by berth-runtime");
    // "devices" rules are accepted: /dev only holds the nodes berth creates.
    return res;
}

}  // namespace berth::runtime

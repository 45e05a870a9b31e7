// pause, resume, update, events: the verbs that act on a container's cgroup.
#include <cctype>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/runtime/runtime.h"
#include "berth/runtime/spec.h"
#include "commands.h"

namespace berth::cli {
namespace {

using runtime::Runtime;

// "67108864", "64m", "1G", "-1" -> bytes (docker/runc units: k, m, g, t; binary multiples).
int64_t parse_bytes(const std::string& text, const std::string& flag) {
    if (text == "-1") return -1;
    size_t used = 0;
    int64_t value = 0;
    try {
        value = std::stoll(text, &used);
    } catch (...) {
        throw Error(flag + ": \"" + text + "\" is not a size");
    }
    std::string unit = text.substr(used);
    if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B')) unit.pop_back();
    int shift = 0;
    if (unit.size() == 1) {
        switch (std::tolower(static_cast<unsigned char>(unit[0]))) {
            case 'k':
                shift = 10;
                break;
            case 'm':
                shift = 20;
                break;
            case 'g':
                shift = 30;
                break;
            case 't':
                shift = 40;
                break;
            default:
                throw Error(flag + ": unknown unit in \"" + text + "\"");
        }
    } else if (!unit.empty()) {
        throw Error(flag + ": unknown unit in \"" + text + "\"");
    }
    if (value < 0) throw Error(flag + ": \"" + text + "\" must not be negative");
    return value << shift;
}

struct UpdateFlags {
    std::string memory, memory_reservation, memory_swap, cpuset_cpus, cpuset_mems, resources_file;
    std::optional<int64_t> cpu_quota, pids_limit;
    std::optional<uint64_t> cpu_period, cpu_shares;
};

runtime::Resources to_resources(const UpdateFlags& f) {
    runtime::Resources r;
    if (!f.resources_file.empty()) {
        std::string text = f.resources_file == "-"
                               ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                               : read_file(f.resources_file);
        auto doc = nlohmann::json::parse(text, nullptr, false);
        if (doc.is_discarded()) throw Error("-r " + f.resources_file + ": not valid JSON");
        r = runtime::parse_resources(doc, "resources");
    }
    if (!f.memory.empty()) r.memory.limit = parse_bytes(f.memory, "--memory");
    if (!f.memory_reservation.empty())
        r.memory.reservation = parse_bytes(f.memory_reservation, "--memory-reservation");
    if (!f.memory_swap.empty()) r.memory.swap = parse_bytes(f.memory_swap, "--memory-swap");
    if (f.cpu_quota) r.cpu.quota = f.cpu_quota;
    if (f.cpu_period) r.cpu.period = f.cpu_period;
    if (f.cpu_shares) r.cpu.shares = f.cpu_shares;
    if (!f.cpuset_cpus.empty()) r.cpu.cpus = f.cpuset_cpus;
    if (!f.cpuset_mems.empty()) r.cpu.mems = f.cpuset_mems;
    if (f.pids_limit) r.pids_limit = f.pids_limit;
    return r;
}

}  // namespace

void add_cgroup_commands(CLI::App& app, const GlobalFlags& globals, Action& action) {
    auto id = std::make_shared<std::string>();

    CLI::App* pause = app.add_subcommand("pause", "freeze every process of the container");
    pause->add_option("id", *id, "container id")->required();
    pause->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).pause(*id);
            return 0;
        };
    });

    CLI::App* resume = app.add_subcommand("resume", "thaw a paused container");
    resume->add_option("id", *id, "container id")->required();
    resume->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).resume(*id);
            return 0;
        };
    });

    auto flags = std::make_shared<UpdateFlags>();
    CLI::App* update = app.add_subcommand("update", "change the resource limits of a container");
    update->add_option("-r,--resources", flags->resources_file,
                       "linux.resources JSON file (- for stdin)");
    update->add_option("--memory", flags->memory, "memory limit (bytes, or 64m, 1g; -1 unlimited)");
    update->add_option("--memory-reservation", flags->memory_reservation, "soft memory limit");
    update->add_option("--memory-swap", flags->memory_swap, "memory + swap limit");
    update->add_option("--cpu-quota", flags->cpu_quota, "CFS quota in microseconds per period");
    update->add_option("--cpu-period", flags->cpu_period, "CFS period in microseconds");
    update->add_option("--cpu-share", flags->cpu_shares, "relative CPU weight (shares)");
    update->add_option("--cpuset-cpus", flags->cpuset_cpus, "CPUs to run on, e.g. 0-1");
    update->add_option("--cpuset-mems", flags->cpuset_mems, "memory nodes, e.g. 0");
    update->add_option("--pids-limit", flags->pids_limit, "maximum number of processes");
    update->add_option("id", *id, "container id")->required();
    update->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).update(*id, to_resources(*flags));
            return 0;
        };
    });

    auto stats = std::make_shared<bool>(false);
    auto interval = std::make_shared<int>(5);
    CLI::App* events = app.add_subcommand("events", "print resource stats and OOM events as JSON");
    events->add_flag("--stats", *stats, "print stats once and exit");
    events->add_option("--interval", *interval, "seconds between stats")
        ->check(CLI::PositiveNumber);
    events->add_option("id", *id, "container id")->required();
    events->callback([=, &globals, &action] {
        action = [=, &globals] {
            Runtime(globals.root).stream_events(*id, *interval, *stats);
            return 0;
        };
    });
}

}  // namespace berth::cli

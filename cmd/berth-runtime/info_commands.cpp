#include <sys/stat.h>

#include <cstdio>
#include <ctime>
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


void print_list(const std::vector<runtime::ContainerState>& states, const std::string& format,
                bool quiet) {
    if (quiet) {
        for (const auto& s : states) std::printf("%s\n", s.id.c_str());
        return;
    }
    if (format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : states)
            out.push_back({{"ociVersion", s.oci_version},
                           {"id", s.id},
                           {"pid", s.pid},
                           {"status", runtime::status_name(s.status)},
                           {"bundle", s.bundle},
                           {"rootfs", s.rootfs},
                           {"created", s.created},
                           {"owner", "root"},
                           {"annotations", s.annotations}});
        std::printf("%s\n", out.dump().c_str());
        return;
    }
    std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                "OWNER");
    for (const auto& s : states)
        std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", s.id.c_str(), s.pid,
                    runtime::status_name(s.status).c_str(), s.bundle.c_str(), s.created.c_str(),
                    "root");
}

}  // namespace

void add_info_commands(CLI::App& app, const GlobalFlags& globals, Action& action) {
    auto id = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    auto bundle = std::make_shared<std::string>(".");

    CLI::App* state = app.add_subcommand("state", "print the OCI state of a container");
    state->add_option("id", *id, "container id")->required();
    state->callback([=, &globals, &action] {
        action = [=, &globals] {
            auto doc = nlohmann::json::parse(runtime::state_json(Runtime(globals.root).state(*id)));
            std::printf("%s\n", doc.dump(2).c_str());
            return 0;
        };
    });

    CLI::App* list = app.add_subcommand("list", "list containers");
    list->add_option("-f,--format", *format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    list->add_flag("-q,--quiet", *quiet, "print only ids");
    list->callback([=, &globals, &action] {
        action = [=, &globals] {
            print_list(Runtime(globals.root).list(), *format, *quiet);
            return 0;
        };
    });

    CLI::App* ps = app.add_subcommand("ps", "list the processes of a container");
    ps->add_option("-f,--format", *format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    ps->add_option("id", *id, "container id")->required();
    ps->callback([=, &globals, &action] {
        action = [=, &globals] {
            auto processes = Runtime(globals.root).processes(*id);
            if (*format == "json") {
                nlohmann::json pids = nlohmann::json::array();
                for (const auto& p : processes) pids.push_back(p.pid);
                std::printf("%s\n", pids.dump().c_str());
                return 0;
            }
            std::printf("%-10s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
            for (const auto& p : processes)
                std::printf("%-10s %-8d %-8d %s\n", std::to_string(p.uid).c_str(), p.pid, p.ppid,
                            p.command.c_str());
            return 0;
        };
    });

    CLI::App* features = app.add_subcommand("features", "print what this runtime supports (JSON)");
    features->callback([&action] {
        action = [] {
            std::printf("%s\n", runtime::features_json().c_str());
            return 0;
        };
    });

    CLI::App* spec = app.add_subcommand("spec", "write a default config.json into the bundle");
    spec->add_option("-b,--bundle", *bundle, "bundle directory")->capture_default_str();
    auto rootless = std::make_shared<bool>(false);
    spec->add_flag("--rootless", *rootless, "not supported");
    spec->callback([=, &action] {
        action = [=] {
            if (*rootless) throw Error("spec --rootless: rootless containers are not supported");
            std::string path = *bundle + "/config.json";
            if (path_exists(path)) throw Error("File " + path + " exists. Remove it first");
            write_file_atomic(path, runtime::default_spec_json(), 0644);
            return 0;
        };
    });
}

}  // namespace berth::cli

// `berth inspect` of a container: docker's container JSON, from the record and the run state
// reconciled with the live processes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::engine {

class Engine;

// Id, Created, Path, Args, State{Status, Running, Paused, Restarting, OOMKilled, Dead, Pid,
// ExitCode, Error, StartedAt, FinishedAt}, Image, ResolvConfPath, HostnamePath, HostsPath,
// LogPath, Name ("/name"), RestartCount, Driver, Platform, Config, HostConfig, Mounts,
// NetworkSettings, GraphDriver{Name: overlay, Data{LowerDir, UpperDir, WorkDir, MergedDir}}.
nlohmann::json inspect_container(Engine& engine, const std::string& id);

// Applies a docker-style format: every {{.A.B}} (or {{json .A}}) is replaced by that field:
// strings as they are, anything else as JSON. Throws naming a field that does not exist.
std::string apply_format(const nlohmann::json& doc, const std::string& format);

}  // namespace berth::engine

// Registry credentials saved by `berth login` in <root>/auth.json, in docker's layout
// ({"auths": {"host:port": {"auth": base64(user:pass)}}}) so the file is familiar and tools
// that read docker's config can read it. The file is 0600 and replaced atomically; a lock
// file (auth.lock) serialises concurrent logins and logouts.
#pragma once

#include <optional>
#include <string>

namespace berth::images {

struct Credentials {
    std::string username, password;
};

std::string credentials_path(const std::string& root);
// The saved credentials for `registry` ("host:port"), if any.
std::optional<Credentials> load_credentials(const std::string& root, const std::string& registry);
void save_credentials(const std::string& root, const std::string& registry,
                      const Credentials& credentials);
// Returns false if nothing was saved for `registry`.
bool remove_credentials(const std::string& root, const std::string& registry);

}  // namespace berth::images

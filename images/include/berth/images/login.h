// `berth login`: checks credentials against a registry before they are saved, the way
// `docker login` does: GET /v2/ and, on a 401, Basic with them or (for a Bearer challenge) a
// token request with them; only a 2xx answer counts as a successful login.
#pragma once

#include <string>

#include "berth/images/credentials.h"

namespace berth::images {

struct LoginOptions {
    bool insecure = false;  // plain http (and unverified https) allowed
    std::string certs_dir;  // as PullOptions::certs_dir
};

// Throws Error("login <registry>: credentials refused (401)") and the like.
void verify_login(const std::string& registry, const Credentials& credentials,
                  const LoginOptions& options = {});

}  // namespace berth::images

#include "registry_tls.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "berth/error.h"
#include "berth/fd.h"

namespace berth::images {
namespace {

// A CA file: a regular file (a symlink to one is fine) of at most 1 MiB holding PEM.
std::string read_ca(int dir_fd, const std::string& name, const std::string& where) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + where);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + where);
    if (!S_ISREG(st.st_mode)) throw Error(where + ": not a regular file");
    if (st.st_size > (1 << 20)) throw Error(where + ": larger than 1 MiB");
    std::string out(static_cast<size_t>(st.st_size), '\0');
    if (::pread(fd.get(), out.data(), out.size(), 0) != st.st_size) throw_errno("read " + where);
    if (out.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        throw Error(where + ": no PEM certificate in it");
    return out;
}

}  // namespace

std::string default_certs_dir() {
    const char* env = std::getenv("BERTH_CERTS_DIR");
    return env && *env ? env : "/etc/berth/certs.d";
}

TlsOptions registry_tls(const std::string& registry, const std::string& certs_dir, bool insecure) {
    TlsOptions tls;
    tls.verify = !insecure;
    std::string base = certs_dir.empty() ? default_certs_dir() : certs_dir;
    // The registry name came through parse_reference (host[:port]); still, never let it
    // name a path outside the certs dir.
    if (registry.empty() || registry.find('/') != std::string::npos || registry[0] == '.')
        throw Error("registry name " + registry + ": not a host[:port]");
    std::string dir = base + "/" + registry;
    tls.trust_hint = "trust its CA by putting it in " + dir + "/ca.crt, or use --insecure";
    if (insecure) return tls;
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) {
        if (errno == ENOENT) return tls;
        throw_errno("open " + dir);
    }
    std::vector<std::string> names;
    DIR* d = ::fdopendir(::dup(dir_fd.get()));
    if (!d) throw_errno("read " + dir);
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 4 && n.substr(n.size() - 4) == ".crt") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names)
        tls.extra_ca_pem += read_ca(dir_fd.get(), n, dir + "/" + n) + "\n";
    return tls;
}

}  // namespace berth::images

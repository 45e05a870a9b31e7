#include "tree_support.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace berth::test {

ScratchDir::ScratchDir(const std::string& stem) {
    std::string pattern = "/tmp/" + stem + "-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void put_dir(const std::string& path, mode_t mode) {
    std::filesystem::create_directories(path);
    if (chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod " + path);
}

void put_file(const std::string& path, const std::string& content, mode_t mode, uid_t uid,
              gid_t gid) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write " + path);
        out << content;
    }
    if (chown(path.c_str(), uid, gid) != 0 || chmod(path.c_str(), mode) != 0)
        throw std::runtime_error("chown/chmod " + path);
}

std::string get_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

std::string unique_name(const std::string& stem) {
    static int counter = 0;
    return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

}  // namespace berth::test

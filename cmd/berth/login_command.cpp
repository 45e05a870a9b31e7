// berth login [--insecure] [-u USER] [-p PASS | --password-stdin] REGISTRY
// berth logout REGISTRY
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "berth/error.h"
#include "berth/images/credentials.h"
#include "berth/images/login.h"
#include "commands.h"

namespace berth::cli {
namespace {

struct LoginFlags {
    std::string registry, username, password, certs_dir;
    bool password_stdin = false, insecure = false;
};

// Restores the terminal's echo however the read ends.
class EchoOff {
  public:
    EchoOff() : ok_(::tcgetattr(STDIN_FILENO, &saved_) == 0) {
        if (!ok_) return;
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ~EchoOff() {
        if (ok_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    termios saved_{};
    bool ok_;
};

std::string read_line(const char* prompt, bool echo) {
    std::fprintf(stderr, "%s", prompt);
    std::string line;
    if (echo) {
        std::getline(std::cin, line);
    } else {
        EchoOff off;
        std::getline(std::cin, line);
        std::fprintf(stderr, "\n");
    }
    return line;
}

images::Credentials credentials(LoginFlags& f) {
    bool tty = ::isatty(STDIN_FILENO) == 1;
    if (f.password_stdin && !f.password.empty())
        throw Error("login: -p and --password-stdin exclude each other");
    if (f.username.empty()) {
        if (!tty || f.password_stdin) throw Error("login: -u USER is required");
        f.username = read_line("Username: ", true);
    }
    if (f.password_stdin) {
        // Everything up to EOF, without the trailing newline `echo` adds.
        std::string all((std::istreambuf_iterator<char>(std::cin)),
                        std::istreambuf_iterator<char>());
        while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
        f.password = all;
    } else if (f.password.empty()) {
        if (!tty) throw Error("login: -p PASS or --password-stdin is required");
        f.password = read_line("Password: ", false);
    }
    if (f.password.empty()) throw Error("login: empty password");
    return {f.username, f.password};
}

int login(const GlobalFlags& g, LoginFlags& f) {
    images::Credentials c = credentials(f);
    images::verify_login(f.registry, c, {f.insecure, f.certs_dir});
    images::save_credentials(g.root, f.registry, c);
    std::printf("Login Succeeded\n");
    return 0;
}

int logout(const GlobalFlags& g, const LoginFlags& f) {
    if (!images::remove_credentials(g.root, f.registry))
        throw Error("logout " + f.registry + ": not logged in");
    std::printf("Removing login credentials for %s\n", f.registry.c_str());
    return 0;
}

}  // namespace

void add_login_commands(CLI::App& app, GlobalFlags& g, Action& action) {
    auto flags = std::make_shared<LoginFlags>();
    CLI::App* in = app.add_subcommand("login", "check and save credentials for a registry");
    in->add_option("REGISTRY", flags->registry, "host[:port]")->required();
    in->add_option("-u,--username", flags->username);
    in->add_option("-p,--password", flags->password);
    in->add_flag("--password-stdin", flags->password_stdin, "read the password from stdin");
    in->add_flag("--insecure", flags->insecure, "allow plain http and unverified https");
    in->add_option("--certs-dir", flags->certs_dir,
                   "per-registry CAs in DIR/HOST:PORT/*.crt (default $BERTH_CERTS_DIR or "
                   "/etc/berth/certs.d)");
    in->callback([&, flags] { action = [&g, flags] { return login(g, *flags); }; });

    CLI::App* out = app.add_subcommand("logout", "forget the credentials for a registry");
    out->add_option("REGISTRY", flags->registry, "host[:port]")->required();
    out->callback([&, flags] { action = [&g, flags] { return logout(g, *flags); }; });
}

}  // namespace berth::cli

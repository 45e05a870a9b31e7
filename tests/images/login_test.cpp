// berth login / logout against the real docker-registry fixture with htpasswd (Basic) auth:
// a wrong password is refused and nothing is saved, the right one lands in a 0600 auth.json
// in docker's layout, pull then needs no credentials, and logout forgets them.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/images/credentials.h"
#include "berth/images/login.h"
#include "berth/images/pull.h"
#include "berth/images/store.h"
#include "images_support.h"
#include "registry_fixture.h"
#include "support/subprocess.h"

namespace berth::test {
namespace {

class Login : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { registry_ = std::make_unique<Registry>(true); }
    static void TearDownTestSuite() { registry_.reset(); }

    Result berth(std::vector<std::string> args) {
        args.insert(args.begin(), {BERTH_BINARY, "--root", root()});
        return run(args, 120);
    }
    std::string root() const { return dir_ / "root"; }
    std::string auth_file() const { return images::credentials_path(root()); }
    const std::string& host() const { return registry_->host(); }

    static std::unique_ptr<Registry> registry_;
    TempDir dir_{"berth-login"};
};

std::unique_ptr<Registry> Login::registry_;

TEST_F(Login, WrongPasswordRefusedAndNothingSaved) {
    Result r = berth({"login", "--insecure", "-u", "berth", "-p", "wrong", host()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "berth: login " + host() + ": credentials refused (401)\n");
    EXPECT_FALSE(path_exists(auth_file()));

    try {
        images::verify_login(host(), {"nobody", "x"}, {true});
        FAIL() << "an unknown user logged in";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("credentials refused (401)"), std::string::npos);
    }
}

TEST_F(Login, SavedCredentialsUsedByPullUntilLogout) {
    std::string ref = host() + "/berth/busybox:1";
    Result denied = berth({"pull", "--insecure", "-q", ref});
    EXPECT_EQ(denied.exit_code, 1);
    EXPECT_NE(denied.err.find("wants Basic credentials (401)"), std::string::npos) << denied.err;

    Result in = berth({"login", "--insecure", "-u", "berth", "-p", "berth-secret", host()});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    EXPECT_EQ(in.out, "Login Succeeded\n");
    struct stat st;
    ASSERT_EQ(::stat(auth_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    auto j = nlohmann::json::parse(slurp(auth_file()));
    // base64("berth:berth-secret"), as docker writes it.
    EXPECT_EQ(j["auths"][host()]["auth"], "YmVydGg6YmVydGgtc2VjcmV0") << j.dump();

    Result pulled = berth({"pull", "--insecure", "-q", ref});
    ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
    images::Store store(root());
    EXPECT_EQ(pulled.out, store.resolve(ref).id.str() + "\n");

    Result out = berth({"logout", host()});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_FALSE(images::load_credentials(root(), host()).has_value());
    j = nlohmann::json::parse(slurp(auth_file()));
    EXPECT_FALSE(j["auths"].contains(host())) << j.dump();
    Result again = berth({"logout", host()});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_EQ(again.err, "berth: logout " + host() + ": not logged in\n");
    // Forgotten: the same pull is refused again.
    store.remove(ref);
    EXPECT_EQ(berth({"pull", "--insecure", "-q", ref}).exit_code, 1);
}

TEST_F(Login, PasswordFromStdin) {
    std::string cmd = "printf 'berth-secret\\n' | " + std::string(BERTH_BINARY) + " --root " +
                      root() + " login --insecure -u berth --password-stdin " + host();
    Result r = run({"/bin/sh", "-c", cmd}, 60);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto saved = images::load_credentials(root(), host());
    ASSERT_TRUE(saved.has_value());
    EXPECT_EQ(saved->username, "berth");
    EXPECT_EQ(saved->password, "berth-secret");
    // -p and --password-stdin together are refused before anything is sent.
    Result both =
        berth({"login", "--insecure", "-u", "berth", "-p", "x", "--password-stdin", host()});
    EXPECT_EQ(both.exit_code, 1);
}

TEST(Credentials, RoundTripKeepsOtherRegistries) {
    TempDir dir("berth-auth");
    images::save_credentials(dir.path(), "a.example:5000", {"u1", "p:with:colons"});
    images::save_credentials(dir.path(), "b.example", {"u2", "p2"});
    auto a = images::load_credentials(dir.path(), "a.example:5000");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->username, "u1");
    EXPECT_EQ(a->password, "p:with:colons");
    EXPECT_TRUE(images::remove_credentials(dir.path(), "a.example:5000"));
    EXPECT_FALSE(images::remove_credentials(dir.path(), "a.example:5000"));
    EXPECT_FALSE(images::load_credentials(dir.path(), "a.example:5000").has_value());
    EXPECT_EQ(images::load_credentials(dir.path(), "b.example")->password, "p2");
    EXPECT_THROW(images::save_credentials(dir.path(), "c.example", {"a:b", "p"}), Error);
}

}  // namespace
}  // namespace berth::test

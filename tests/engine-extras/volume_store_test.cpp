// The volume store against a private store root: records and inspect fields, references from
// containers, docker's copy of image content into a new volume, -v parsing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <regex>

#include "berth/engine/volumes.h"
#include "berth/error.h"
#include "tree_support.h"

namespace berth::test {
namespace {

using engine::VolumeSpec;
using engine::VolumeStore;

class VolumeStoreTest : public ::testing::Test {
  protected:
    // A container "exists" for the store while <root>/containers/<id> does.
    void make_container(const std::string& id) { put_dir(root_ / ("containers/" + id)); }
    void drop_container(const std::string& id) { rmdir((root_ / ("containers/" + id)).c_str()); }

    ScratchDir root_{"berth-volumes"};
    VolumeStore store_{root_.path()};
};

TEST_F(VolumeStoreTest, CreateAndInspectFields) {
    time_t before = time(nullptr);
    engine::Volume v = store_.create("data1", {{"team", "a"}, {"empty", ""}});
    nlohmann::json j = store_.get("data1").inspect_json();
    EXPECT_EQ(j["Name"], "data1");
    EXPECT_EQ(j["Driver"], "local");
    EXPECT_EQ(j["Scope"], "local");
    EXPECT_EQ(j["Mountpoint"], root_.path() + "/volumes/data1/_data");
    EXPECT_TRUE(j["Options"].is_null());
    EXPECT_EQ(j["Labels"], (nlohmann::json{{"team", "a"}, {"empty", ""}}));
    struct stat st;
    ASSERT_EQ(stat(v.mountpoint.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    std::tm tm{};
    std::string created = j["CreatedAt"];
    ASSERT_NE(strptime(created.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << created;
    time_t t = timegm(&tm);
    EXPECT_GE(t, before - 1);
    EXPECT_LE(t, time(nullptr) + 1);
    // No labels: docker prints null.
    EXPECT_TRUE(store_.create("data2").inspect_json()["Labels"].is_null());
}

TEST_F(VolumeStoreTest, RandomNameAndIdempotentCreate) {
    engine::Volume v = store_.create("");
    EXPECT_TRUE(std::regex_match(v.name, std::regex("[0-9a-f]{64}"))) << v.name;
    put_file(v.mountpoint + "/keep", "x");
    engine::Volume again = store_.create(v.name, {{"ignored", "1"}});
    EXPECT_EQ(again.created_at, v.created_at);
    EXPECT_TRUE(again.labels.empty());
    EXPECT_TRUE(exists(v.mountpoint + "/keep"));
    ASSERT_EQ(store_.list().size(), 1u);
    EXPECT_EQ(store_.list()[0].name, v.name);
}

TEST_F(VolumeStoreTest, InvalidNamesRefusedAndNeverPaths) {
    for (const char* bad : {"a", "../x", "-x", ".x", "a/b", "a b", "..", ""}) {
        if (*bad) {
            EXPECT_THROW(store_.create(bad), Error) << bad;
        }
        EXPECT_FALSE(store_.find(bad).has_value()) << bad;
        EXPECT_THROW(store_.remove(bad, true), Error) << bad;
    }
    EXPECT_THROW(store_.get("missing"), Error);
}

TEST_F(VolumeStoreTest, RemoveRefusedWhileAContainerUsesIt) {
    make_container("c1");
    engine::ResolvedMount m = store_.mount_for(engine::parse_volume_spec("shared:/data"), "c1", "");
    EXPECT_EQ(m.type, "volume");
    EXPECT_EQ(m.source, root_.path() + "/volumes/shared/_data");
    try {
        store_.remove("shared", false);
        FAIL() << "removed a volume in use";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("in use by container c1"), std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(store_.find("shared").has_value());
    // A container that vanished without releasing (a crash) does not pin the volume.
    drop_container("c1");
    store_.remove("shared", false);
    EXPECT_FALSE(store_.find("shared").has_value());
    EXPECT_FALSE(exists(root_ / "volumes/shared"));

    make_container("c2");
    store_.mount_for(engine::parse_volume_spec("forced:/data"), "c2", "");
    store_.remove("forced", true);
    EXPECT_FALSE(store_.find("forced").has_value());
}

TEST_F(VolumeStoreTest, FirstUseCopiesImageContentWithOwnersOnlyIntoAnEmptyVolume) {
    ScratchDir rootfs("berth-rootfs");
    put_dir(rootfs / "srv/data/sub", 0750);
    put_file(rootfs / "srv/data/sub/file", "from image", 0640, 1234, 4321);
    chown((rootfs / "srv/data").c_str(), 33, 33);
    chmod((rootfs / "srv/data").c_str(), 0770);
    make_container("c1");
    engine::ResolvedMount m =
        store_.mount_for(engine::parse_volume_spec("web:/srv/data"), "c1", rootfs.path());
    EXPECT_EQ(get_file(m.source + "/sub/file"), "from image");
    struct stat st;
    ASSERT_EQ(stat((m.source + "/sub/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 4321u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    ASSERT_EQ(stat(m.source.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 33u);
    EXPECT_EQ(st.st_mode & 07777, 0770u);
    // Not empty any more: a second container does not copy again over the volume's data.
    put_file(m.source + "/sub/file", "changed by c1");
    make_container("c2");
    store_.mount_for(engine::parse_volume_spec("web:/srv/data"), "c2", rootfs.path());
    EXPECT_EQ(get_file(m.source + "/sub/file"), "changed by c1");
    // nocopy leaves a new volume empty.
    engine::ResolvedMount none =
        store_.mount_for(engine::parse_volume_spec("empty:/srv/data:nocopy"), "c2", rootfs.path());
    EXPECT_FALSE(exists(none.source + "/sub"));
}

TEST_F(VolumeStoreTest, ImageSymlinkAtTheMountPathStaysInsideTheRootfs) {
    ScratchDir rootfs("berth-rootfs");
    std::string marker = unique_name("berth-marker");
    put_file(rootfs / ("etc/" + marker), "rootfs etc");
    ASSERT_EQ(symlink("/etc", (rootfs / "data").c_str()), 0);
    ASSERT_EQ(symlink("../../../../../etc", (rootfs / "up").c_str()), 0);
    make_container("c1");
    for (const char* path : {"/data", "/up"}) {
        engine::ResolvedMount m = store_.mount_for(
            engine::parse_volume_spec(unique_name("v") + ":" + path), "c1", rootfs.path());
        EXPECT_EQ(get_file(m.source + "/" + marker), "rootfs etc") << path;
        EXPECT_FALSE(exists(m.source + "/passwd")) << path << ": the host's /etc was copied";
    }
}

TEST_F(VolumeStoreTest, ReleaseRemovesAnonymousVolumesOnlyWithRemoveFlag) {
    make_container("c1");
    engine::ResolvedMount anon = store_.mount_for(engine::parse_volume_spec("/cache"), "c1", "");
    engine::ResolvedMount named = store_.mount_for(engine::parse_volume_spec("keep:/k"), "c1", "");
    EXPECT_TRUE(store_.get(anon.name).anonymous);
    EXPECT_EQ(store_.get(anon.name).labels.count("com.docker.volume.anonymous"), 1u);
    std::vector<std::string> removed = store_.release_all("c1", true);
    EXPECT_EQ(removed, std::vector<std::string>{anon.name});
    EXPECT_FALSE(store_.find(anon.name).has_value());
    ASSERT_TRUE(store_.find("keep").has_value());
    EXPECT_TRUE(store_.get("keep").users.empty());

    // Without -v the anonymous volume stays (dangling), as in docker.
    engine::ResolvedMount anon2 = store_.mount_for(engine::parse_volume_spec("/cache"), "c1", "");
    EXPECT_TRUE(store_.release_all("c1", false).empty());
    EXPECT_TRUE(store_.find(anon2.name).has_value());
}

TEST_F(VolumeStoreTest, PruneTakesAnonymousUnusedVolumesUnlessAll) {
    make_container("c1");
    store_.mount_for(engine::parse_volume_spec("used:/u"), "c1", "");
    engine::ResolvedMount anon = store_.mount_for(engine::parse_volume_spec("/a"), "c1", "");
    engine::Volume unused_anon = store_.create("", {}, true);
    put_file(unused_anon.mountpoint + "/blob", std::string(5000, 'x'));
    store_.create("unused-named");

    VolumeStore::Pruned p = store_.prune(false);
    EXPECT_EQ(p.names, std::vector<std::string>{unused_anon.name});
    EXPECT_EQ(p.bytes, 5000u);
    p = store_.prune(true);
    EXPECT_EQ(p.names, std::vector<std::string>{"unused-named"});
    std::vector<std::string> left;
    for (const engine::Volume& v : store_.list()) left.push_back(v.name);
    std::vector<std::string> expected = {anon.name, "used"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(left, expected);
}

TEST(VolumeSpec, ParsesDockerSyntax) {
    VolumeSpec s = engine::parse_volume_spec("/host/dir:/ctr/dir:ro");
    EXPECT_EQ(s.kind, VolumeSpec::Kind::bind);
    EXPECT_EQ(s.source, "/host/dir");
    EXPECT_EQ(s.destination, "/ctr/dir");
    EXPECT_TRUE(s.read_only);
    s = engine::parse_volume_spec("data:/var/lib/x/");
    EXPECT_EQ(s.kind, VolumeSpec::Kind::named);
    EXPECT_EQ(s.source, "data");
    EXPECT_EQ(s.destination, "/var/lib/x");
    EXPECT_FALSE(s.read_only);
    s = engine::parse_volume_spec("/anon");
    EXPECT_EQ(s.kind, VolumeSpec::Kind::anonymous);
    s = engine::parse_volume_spec("/anon:ro");
    EXPECT_EQ(s.kind, VolumeSpec::Kind::anonymous);
    EXPECT_TRUE(s.read_only);
    s = engine::parse_volume_spec("v1:/x:nocopy,rw,Z");
    EXPECT_TRUE(s.nocopy);
    EXPECT_FALSE(s.read_only);
    for (const char* bad : {"", "./x:/y", "~/x:/y", "v1:rel", "v1:/", "/a:/b:bogus", "/a:/b:ro,rw",
                            "/a:/b:c:d", "/a:/b:nocopy", "/a:/b:shared", "v1:/a/../b", "a:/x"}) {
        try {
            engine::parse_volume_spec(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("invalid volume specification"), std::string::npos)
                << e.what();
        }
    }
}

TEST_F(VolumeStoreTest, BindSourceIsCreatedAsDockerDoes) {
    std::string host = root_ / "made/by/v";
    engine::ResolvedMount m =
        store_.mount_for(engine::parse_volume_spec(host + ":/ctr:ro"), "c1", "");
    EXPECT_EQ(m.type, "bind");
    EXPECT_EQ(m.source, host);
    EXPECT_TRUE(m.read_only);
    EXPECT_TRUE(exists(host));
    nlohmann::json j = m.inspect_json();
    EXPECT_EQ(j["RW"], false);
    EXPECT_EQ(j["Destination"], "/ctr");
    EXPECT_TRUE(store_.list().empty());
}

}  // namespace
}  // namespace berth::test

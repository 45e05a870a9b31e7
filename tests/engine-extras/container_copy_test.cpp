// berth cp's library against real trees: a "running container" is a process chrooted into a
// tree (its /proc/<pid>/root is what cp uses), a stopped one an overlay of layer directories
// mounted in cp's private mount namespace. Hostile symlinks must keep every read and write
// inside the container's tree.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/engine/container_copy.h"
#include "berth/error.h"
#include "tree_support.h"

namespace berth::test {
namespace {

using engine::ContainerFilesystem;
using engine::copy_from_container;
using engine::copy_to_container;

// A process whose root is dir, killed and reaped when the test ends.
class ChrootedProcess {
  public:
    explicit ChrootedProcess(const std::string& dir) {
        pid_ = fork();
        if (pid_ == 0) {
            if (chroot(dir.c_str()) != 0 || chdir("/") != 0) _exit(1);
            for (;;) pause();
        }
        // Wait until the chroot happened (its root link points at dir).
        std::string link = "/proc/" + std::to_string(pid_) + "/root";
        for (int i = 0; i < 500; ++i) {
            char buf[4096];
            ssize_t n = readlink(link.c_str(), buf, sizeof buf);
            if (n > 0 && std::string(buf, static_cast<size_t>(n)) == dir) break;
            usleep(2000);
        }
    }
    ~ChrootedProcess() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_;
};

class ContainerCopyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // The container's tree: its own /etc/passwd, and /x -> /etc, /up -> ../../../etc.
        put_file(tree_ / "etc/passwd", "root:x:0:0:container:/root:/bin/sh\n");
        ASSERT_EQ(symlink("/etc", (tree_ / "x").c_str()), 0);
        ASSERT_EQ(symlink("../../../../../../etc", (tree_ / "up").c_str()), 0);
        host_passwd_ = get_file("/etc/passwd");
    }
    void TearDown() override {
        // Whatever happened, the host's /etc must be as it was.
        EXPECT_EQ(get_file("/etc/passwd"), host_passwd_);
        EXPECT_FALSE(exists("/etc/" + marker_)) << "a copy wrote into the host's /etc";
        unlink(("/etc/" + marker_).c_str());
    }
    ContainerFilesystem running() {
        if (!process_) process_ = std::make_unique<ChrootedProcess>(tree_.path());
        ContainerFilesystem c;
        c.label = "ctr";
        c.pid = process_->pid();
        return c;
    }
    ContainerFilesystem stopped() {
        ContainerFilesystem c;
        c.label = "ctr";
        c.rootfs = tree_.path();
        return c;
    }

    ScratchDir tree_{"berth-ctr"};
    ScratchDir host_{"berth-host"};
    std::string marker_ = unique_name("berth-cp-marker");
    std::string host_passwd_;
    std::unique_ptr<ChrootedProcess> process_;
};

TEST_F(ContainerCopyTest, SymlinkToEtcReadsTheContainersEtcRunning) {
    for (const char* path : {"/x/passwd", "/up/passwd", "x/../../x/passwd"}) {
        std::string out = host_ / unique_name("passwd");
        copy_from_container(running(), path, out);
        EXPECT_EQ(get_file(out), "root:x:0:0:container:/root:/bin/sh\n") << path;
    }
}

TEST_F(ContainerCopyTest, SymlinkToEtcWritesIntoTheContainerRunningAndStopped) {
    put_file(host_ / marker_, "payload");
    copy_to_container(running(), host_ / marker_, "/x/");
    EXPECT_EQ(get_file(tree_ / ("etc/" + marker_)), "payload");
    unlink((tree_ / ("etc/" + marker_)).c_str());
    copy_to_container(stopped(), host_ / marker_, "/up/");
    EXPECT_EQ(get_file(tree_ / ("etc/" + marker_)), "payload");
    // Writing "to" the symlink's name follows it inside the container too.
    copy_to_container(stopped(), host_ / marker_, "/x");
    EXPECT_TRUE(exists(tree_ / ("etc/" + marker_)));
}

TEST_F(ContainerCopyTest, OverwritingThroughASymlinkStaysInside) {
    // /x/passwd names the container's /etc/passwd: it is rewritten there, host untouched.
    put_file(host_ / "newpasswd", "replaced\n", 0600);
    copy_to_container(running(), host_ / "newpasswd", "/x/passwd");
    EXPECT_EQ(get_file(tree_ / "etc/passwd"), "replaced\n");
    // A symlink file at the destination pointing at the host's passwd by absolute path.
    ASSERT_EQ(symlink("/etc/passwd", (tree_ / "pw").c_str()), 0);
    put_file(host_ / "again", "again\n");
    copy_to_container(stopped(), host_ / "again", "/pw");
    EXPECT_EQ(get_file(tree_ / "etc/passwd"), "again\n");
}

TEST_F(ContainerCopyTest, DirectoryRoundTripKeepsModesOwnersLinksAndTimes) {
    put_dir(host_ / "src/sub", 0750);
    put_file(host_ / "src/sub/file", "data", 04755, 1000, 2000);
    put_file(host_ / "src/plain", "plain", 0600, 5, 6);
    ASSERT_EQ(symlink("/etc/shadow", (host_ / "src/link").c_str()), 0);
    ASSERT_EQ(link((host_ / "src/plain").c_str(), (host_ / "src/hard").c_str()), 0);
    ASSERT_EQ(mkfifo((host_ / "src/fifo").c_str(), 0600), 0);
    ASSERT_EQ(chmod((host_ / "src/fifo").c_str(), 0620), 0);
    timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (host_ / "src/plain").c_str(), times, 0), 0);

    copy_to_container(running(), host_ / "src", "/opt");  // /opt missing: becomes the copy
    struct stat st;
    ASSERT_EQ(lstat((tree_ / "opt/sub/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 2000u);
    ASSERT_EQ(lstat((tree_ / "opt/sub").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    ASSERT_EQ(lstat((tree_ / "opt/plain").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
    EXPECT_EQ(st.st_nlink, 2u);
    struct stat hard;
    ASSERT_EQ(lstat((tree_ / "opt/hard").c_str(), &hard), 0);
    EXPECT_EQ(hard.st_ino, st.st_ino);
    char target[256] = {};
    ASSERT_GT(readlink((tree_ / "opt/link").c_str(), target, sizeof target - 1), 0);
    EXPECT_STREQ(target, "/etc/shadow");
    ASSERT_EQ(lstat((tree_ / "opt/fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0620u);

    // And back out of the stopped container into an existing directory: host/back/opt.
    put_dir(host_ / "back");
    copy_from_container(stopped(), "/opt", host_ / "back");
    EXPECT_EQ(get_file(host_ / "back/opt/sub/file"), "data");
    ASSERT_EQ(lstat((host_ / "back/opt/sub/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    // The symlink came back as a symlink, not as the host's /etc/shadow.
    ASSERT_EQ(lstat((host_ / "back/opt/link").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(ContainerCopyTest, DockerPathRules) {
    put_dir(tree_ / "d/inner");
    put_file(tree_ / "d/inner/f", "f");
    put_file(tree_ / "file", "file");
    // dir/. copies the content into an existing directory.
    put_dir(host_ / "into");
    copy_from_container(running(), "/d/.", host_ / "into");
    EXPECT_EQ(get_file(host_ / "into/inner/f"), "f");
    EXPECT_FALSE(exists(host_ / "into/d"));
    // A file into a directory keeps its name; to a new name in an existing parent, renamed.
    copy_from_container(running(), "/file", host_ / "into/");
    EXPECT_EQ(get_file(host_ / "into/file"), "file");
    copy_from_container(running(), "/file", host_ / "renamed");
    EXPECT_EQ(get_file(host_ / "renamed"), "file");
    // Errors docker gives: missing source, missing "dest/" for a file, missing parent,
    // directory onto a file.
    EXPECT_THROW(copy_from_container(running(), "/nope", host_ / "x"), Error);
    EXPECT_THROW(copy_from_container(running(), "/file", host_ / "newdir/"), Error);
    EXPECT_THROW(copy_from_container(running(), "/file", host_ / "no/parent"), Error);
    EXPECT_THROW(copy_from_container(running(), "/d", host_ / "renamed"), Error);
    // A symlink source is copied as a link; -L copies its target (the container's /etc).
    copy_from_container(running(), "/x", host_ / "xlink");
    struct stat st;
    ASSERT_EQ(lstat((host_ / "xlink").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    engine::CopyOptions follow;
    follow.follow_link = true;
    copy_from_container(running(), "/x", host_ / "xdir", follow);
    EXPECT_EQ(get_file(host_ / "xdir/passwd"), "root:x:0:0:container:/root:/bin/sh\n");
}

TEST_F(ContainerCopyTest, GoneProcessIsNotRunning) {
    ContainerFilesystem c = running();
    c.pid_start_time = 1;  // not the start time of that process: a reused pid
    try {
        copy_from_container(c, "/etc/passwd", host_ / "p");
        FAIL() << "copied from a process that is not the container's";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not running"), std::string::npos) << e.what();
    }
}

TEST_F(ContainerCopyTest, StoppedOverlayWritesToUpperAndHonoursMounts) {
    ScratchDir layers("berth-layers");
    put_file(layers / "lower/etc/hostname", "image\n");
    put_dir(layers / "lower/data");
    put_dir(layers / "lower/vol");
    put_dir(layers / "rw");
    put_file(layers / "volume/inside", "volume content");
    put_dir(layers / "robind");
    ContainerFilesystem c;
    c.label = "ctr";
    c.lowers = {layers / "lower"};
    c.rw_dir = layers / "rw";
    c.mounts = {{"volume", "v", layers / "volume", "/vol", false},
                {"bind", "", layers / "robind", "/data", true}};

    copy_from_container(c, "/vol/inside", host_ / "inside");
    EXPECT_EQ(get_file(host_ / "inside"), "volume content");
    put_file(host_ / "h", "new hostname\n");
    copy_to_container(c, host_ / "h", "/etc/hostname");
    EXPECT_EQ(get_file(layers / "rw/upper/etc/hostname"), "new hostname\n");
    EXPECT_EQ(get_file(layers / "lower/etc/hostname"), "image\n");
    copy_to_container(c, host_ / "h", "/vol/");
    EXPECT_EQ(get_file(layers / "volume/h"), "new hostname\n");
    // The read-only bind refuses the write.
    try {
        copy_to_container(c, host_ / "h", "/data/");
        FAIL() << "wrote into a read-only mount";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("EROFS"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(exists(layers / "robind/h"));
}

}  // namespace
}  // namespace berth::test

// create -> created -> start -> running -> stopped -> delete, signals, exit codes, ps, list, and
// state that stays true when the runtime process is gone or was killed half way.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <functional>

#include "support/runtime_fixture.h"

namespace berth::test {
namespace {

using Lifecycle = RuntimeTest;

// Waits until the container's shell has created `name` in its /dev/shm (a tmpfs of its own):
// the signal it traps is installed by then.
bool wait_for_container_file(int pid, const std::string& name) {
    std::string path = "/proc/" + std::to_string(pid) + "/root/dev/shm/" + name;
    for (int i = 0; i < 500; ++i) {
        if (access(path.c_str(), F_OK) == 0) return true;
        usleep(20000);
    }
    return false;
}

// Alive and not a zombie waiting for whoever inherited it to reap it.
bool is_running(int pid) {
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z' &&
           stat[close + 2] != 'X';
}

bool wait_for_status(Lifecycle* t, const std::function<nlohmann::json()>& state,
                     const std::string& status) {
    for (int i = 0; i < 300; ++i) {
        if (state().value("status", "") == status) return true;
        usleep(20000);
    }
    (void)t;
    return false;
}

TEST_F(Lifecycle, CreateStartStateDelete) {
    std::string marker = "/tmp/started";
    auto config = base_config({"sh", "-c", "sleep 0.3"});
    std::string bundle = write_bundle(config);
    std::string id = unique_id("life");
    std::string pid_file = work_ + "/pid";
    Result created = runtime({"create", "--bundle", bundle, "--pid-file", pid_file, id});
    ASSERT_EQ(created.exit_code, 0) << created.err;

    nlohmann::json s = state(id);
    EXPECT_EQ(s["status"], "created");
    EXPECT_EQ(s["id"], id);
    EXPECT_EQ(s["bundle"], bundle);
    EXPECT_EQ(s["ociVersion"], "1.0.2");
    int pid = s["pid"];
    EXPECT_GT(pid, 0);
    EXPECT_EQ(read_text(pid_file), std::to_string(pid));
    // The init waits in every namespace already, but the user program has not run.
    EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/comm"), "sleep\n");
    struct stat ns_host, ns_init;
    stat("/proc/self/ns/net", &ns_host);
    stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &ns_init);
    EXPECT_NE(ns_host.st_ino, ns_init.st_ino);

    ASSERT_EQ(runtime({"start", id}).exit_code, 0);
    EXPECT_EQ(state(id)["status"], "running");
    EXPECT_TRUE(wait_for_status(
        this, [&] { return state(id); }, "stopped"));
    Result again = runtime({"start", id});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("stopped"), std::string::npos) << again.err;

    ASSERT_EQ(runtime({"delete", id}).exit_code, 0);
    Result gone = runtime({"state", id});
    EXPECT_NE(gone.exit_code, 0);
    EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
    (void)marker;
}

TEST_F(Lifecycle, ExitCodeIsThePrograms) {
    EXPECT_EQ(run_config(base_config({"sh", "-c", "exit 42"})).exit_code, 42);
    EXPECT_EQ(run_config(base_config({"true"})).exit_code, 0);
}

TEST_F(Lifecycle, MissingProgramExits127WithAClearError) {
    Result r = run_config(base_config({"/no/such/program"}));
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ENOENT"), std::string::npos) << r.err;
    EXPECT_EQ(runtime({"list", "-q"}).out, "");
}

TEST_F(Lifecycle, ForegroundRunForwardsSignalsAndReports128PlusN) {
    std::string bundle =
        write_bundle(base_config({"sh", "-c",
                                  "trap 'echo got-term; exit 3' TERM; touch /dev/shm/ready; while "
                                  "true; do sleep 0.05; done"}));
    std::string id = unique_id("sig");
    std::string log = work_ + "/run.log";
    pid_t run = spawn({kRuntimeBinary, "--root", root_, "run", "--bundle", bundle, id}, log);
    ASSERT_TRUE(wait_for_status(
        this, [&] { return state(id); }, "running"));
    ASSERT_TRUE(wait_for_container_file(state(id)["pid"], "ready"));
    kill(run, SIGTERM);
    EXPECT_EQ(wait_exit(run), 3);
    EXPECT_NE(read_text(log).find("got-term"), std::string::npos);

    std::string id2 = unique_id("sig");
    pid_t run2 = spawn({kRuntimeBinary, "--root", root_, "run", "--bundle", bundle, id2}, log);
    ASSERT_TRUE(wait_for_status(
        this, [&] { return state(id2); }, "running"));
    ASSERT_EQ(runtime({"kill", id2, "KILL"}).exit_code, 0);
    EXPECT_EQ(wait_exit(run2), 128 + SIGKILL);
    // Foreground run deletes the container when it ends.
    EXPECT_NE(runtime({"state", id2}).exit_code, 0);
}

TEST_F(Lifecycle, KillByNameAndNumberThenDelete) {
    std::string bundle = write_bundle(
        base_config({"sh", "-c", "trap 'exit 0' USR1; touch /dev/shm/ready; sleep 100 & wait"}));
    std::string id = unique_id("kill");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", bundle, id}).exit_code, 0);
    Result del = runtime({"delete", id});
    EXPECT_NE(del.exit_code, 0);
    EXPECT_NE(del.err.find("not stopped"), std::string::npos) << del.err;
    EXPECT_NE(runtime({"kill", id, "NOSUCHSIG"}).exit_code, 0);
    ASSERT_TRUE(wait_for_container_file(state(id)["pid"], "ready"));
    ASSERT_EQ(runtime({"kill", id, "SIGUSR1"}).exit_code, 0);
    EXPECT_TRUE(wait_for_status(
        this, [&] { return state(id); }, "stopped"));
    EXPECT_NE(runtime({"kill", id, "9"}).exit_code, 0) << "killing a stopped container must fail";
    EXPECT_EQ(runtime({"delete", id}).exit_code, 0);

    std::string id2 = unique_id("kill");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", bundle, id2}).exit_code, 0);
    ASSERT_EQ(runtime({"kill", "--all", id2, "9"}).exit_code, 0);
    EXPECT_TRUE(wait_for_status(
        this, [&] { return state(id2); }, "stopped"));
    ASSERT_EQ(runtime({"delete", "--force", id2}).exit_code, 0);
}

TEST_F(Lifecycle, ForceDeleteOfARunningContainer) {
    std::string bundle = write_bundle(base_config({"sleep", "100"}));
    std::string id = unique_id("force");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", bundle, id}).exit_code, 0);
    int pid = state(id)["pid"];
    ASSERT_EQ(runtime({"delete", "--force", id}).exit_code, 0);
    EXPECT_FALSE(is_running(pid));
    EXPECT_NE(runtime({"state", id}).exit_code, 0);
}

TEST_F(Lifecycle, PsAndList) {
    std::string bundle = write_bundle(base_config({"sh", "-c", "sleep 100 & sleep 100"}));
    std::string id = unique_id("ps");
    ASSERT_EQ(runtime({"run", "-d", "--bundle", bundle, id}).exit_code, 0);
    // Both sleeps started: the init's two children are visible.
    for (int i = 0;
         i < 250 && nlohmann::json::parse(runtime({"ps", "--format", "json", id}).out).size() < 2;
         ++i)
        usleep(20000);
    Result ps = runtime({"ps", "--format", "json", id});
    ASSERT_EQ(ps.exit_code, 0) << ps.err;
    auto pids = nlohmann::json::parse(ps.out);
    EXPECT_EQ(pids.size(), 2u) << ps.out;
    EXPECT_EQ(pids[0], state(id)["pid"]);
    Result table = runtime({"ps", id});
    EXPECT_NE(table.out.find("sleep 100"), std::string::npos) << table.out;

    auto list = nlohmann::json::parse(runtime({"list", "--format", "json"}).out);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["id"], id);
    EXPECT_EQ(list[0]["status"], "running");
    EXPECT_NE(runtime({"list"}).out.find(id), std::string::npos);
}

TEST_F(Lifecycle, StateStaysTrueWhenTheInitDiesBehindOurBack) {
    std::string bundle = write_bundle(base_config({"sleep", "100"}));
    std::string id = unique_id("dead");
    ASSERT_EQ(runtime({"create", "--bundle", bundle, id}).exit_code, 0);
    int pid = state(id)["pid"];
    kill(pid, SIGKILL);
    EXPECT_TRUE(wait_for_status(
        this, [&] { return state(id); }, "stopped"));
    EXPECT_NE(runtime({"start", id}).exit_code, 0);
    EXPECT_EQ(runtime({"delete", id}).exit_code, 0);
}

TEST_F(Lifecycle, RuntimeKilledDuringCreateLeavesNoInitBehind) {
    auto config = base_config({"true"});
    std::string flag = work_ + "/in-hook";
    config["hooks"]["createRuntime"] = {
        {{"path", "/bin/sh"},
         {"args",
          {"sh", "-c",
           "echo $$ > " + flag + ".tmp; mv " + flag + ".tmp " + flag + "; exec sleep 30"}}}};
    std::string bundle = write_bundle(config);
    std::string id = unique_id("half");
    pid_t create = spawn({kRuntimeBinary, "--root", root_, "create", "--bundle", bundle, id},
                         work_ + "/create.log");
    for (int i = 0; i < 300 && access(flag.c_str(), F_OK) != 0; ++i) usleep(20000);
    ASSERT_EQ(access(flag.c_str(), F_OK), 0);
    nlohmann::json s = state(id);
    EXPECT_EQ(s["status"], "creating");
    int pid = s["pid"];
    kill(create, SIGKILL);
    wait_exit(create);
    // The init dies with its parent; the state says so and delete cleans up.
    EXPECT_TRUE(wait_for_status(
        this, [&] { return state(id); }, "stopped"));
    EXPECT_FALSE(is_running(pid));
    EXPECT_EQ(runtime({"delete", id}).exit_code, 0);
    // The orphaned hook outlives the killed runtime; end it by the pid it wrote.
    kill(std::stoi(read_text(flag)), SIGKILL);
}

TEST_F(Lifecycle, TheInitsBinaryCannotBeRewrittenFromTheContainer) {
    // CVE-2019-5736: a process in the container takes an O_PATH handle on /proc/<init>/exe
    // while it is still the runtime, waits until no runtime process runs any more, then
    // reopens it for writing. The runtime must re-execute itself from something read-only.
    std::string bundle = write_bundle(base_config({"true"}));
    std::string id = unique_id("seal");
    ASSERT_EQ(runtime({"create", "--bundle", bundle, id}).exit_code, 0);
    int pid = state(id)["pid"];
    int handle = open(("/proc/" + std::to_string(pid) + "/exe").c_str(), O_PATH);
    ASSERT_GE(handle, 0);
    ASSERT_EQ(runtime({"delete", "--force", id}).exit_code, 0);
    // Open for appending (never truncate a real binary, even if the defence were missing).
    int writable = open(("/proc/self/fd/" + std::to_string(handle)).c_str(), O_WRONLY | O_APPEND);
    bool rewritten = writable >= 0 && write(writable, "", 1) == 1;
    EXPECT_FALSE(rewritten) << "the runtime binary is writable through the init's exe";
    if (writable >= 0) close(writable);
    close(handle);
}

}  // namespace
}  // namespace berth::test

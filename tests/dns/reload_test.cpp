// The table is swapped while queries keep coming: no query may go unanswered or get a wrong
// answer during a loop of rewrites (inotify) and SIGHUPs, with two workers.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "dns_test_support.h"

namespace berth::test {
namespace {

namespace dns = netns::dns;

netns::DnsNetworkFile generation_file(int generation) {
    netns::DnsNetworkFile file;
    file.listen = {"127.0.0.1"};
    file.domain = "mynet";
    file.records = {{"a", {"stable"}, "10.88.0.2"}};
    // One record that changes every generation, and a crowd so each reload has real work.
    file.records.push_back({std::string("gen").append(std::to_string(generation)),
                            {},
                            "10.88.2." + std::to_string(generation % 250 + 1)});
    for (int i = 0; i < 200; ++i)
        file.records.push_back({std::string("c").append(std::to_string(i)),
                                {"crowd"},
                                std::string("10.88.1.").append(std::to_string(i + 1))});
    return file;
}

TEST(DnsReload, NoQueryFailsWhileRecordsChange) {
    BerthDns server({}, 2000ms, /*threads=*/2);
    server.write_network("mynet", generation_file(0));
    ASSERT_TRUE(server.wait_for("gen0", "10.88.2.1"));

    std::atomic<bool> done{false};
    std::atomic<int> queries{0}, failures{0};
    std::string first_failure;
    auto hammer = [&](bool tcp) {
        std::uint16_t id = tcp ? 30000 : 1;
        while (!done.load()) {
            ++id;
            Bytes query = build_query(id % 2 ? "a" : "stable.mynet", dns::kTypeA, id);
            std::optional<Bytes> reply;
            if (tcp) {
                auto replies = tcp_exchange(server.port, {query}, 1000ms);
                if (!replies.empty()) reply = replies[0];
            } else {
                reply = udp_exchange(server.port, query, 1000ms);
            }
            ++queries;
            dns::Message m;
            bool good = reply && dns::parse_message(*reply, m) && m.rcode() == dns::kNoError &&
                        a_addresses(m) == std::vector<std::string>{"10.88.0.2"};
            if (!good && failures++ == 0)
                first_failure =
                    reply ? "bad answer, rcode " + std::to_string(m.rcode()) : "no reply";
        }
    };
    std::thread udp_client(hammer, false), tcp_client(hammer, true);
    for (int generation = 1; generation <= 60; ++generation) {
        server.write_network("mynet", generation_file(generation));
        if (generation % 10 == 0) ::kill(server.pid, SIGHUP);
        if (generation % 15 == 0) {
            // The new name appears and the previous generation's name is gone.
            EXPECT_TRUE(server.wait_for("gen" + std::to_string(generation),
                                        "10.88.2." + std::to_string(generation % 250 + 1)));
            EXPECT_TRUE(server.wait_for("gen" + std::to_string(generation - 1), ""));
        }
        std::this_thread::sleep_for(5ms);
    }
    done = true;
    udp_client.join();
    tcp_client.join();
    EXPECT_GT(queries.load(), 100);
    EXPECT_EQ(failures.load(), 0) << "first failure: " << first_failure;
    EXPECT_TRUE(server.alive());
}

TEST(DnsReload, RemovedContainerStopsResolving) {
    BerthDns server;
    netns::DnsNetworkFile file = generation_file(1);
    server.write_network("mynet", file);
    ASSERT_TRUE(server.wait_for("gen1.mynet", "10.88.2.2"));
    file.records.erase(file.records.begin() + 1);
    server.write_network("mynet", file);
    EXPECT_TRUE(server.wait_for("gen1.mynet", ""));
    EXPECT_TRUE(server.wait_for("a", "10.88.0.2"));
}

}  // namespace
}  // namespace berth::test

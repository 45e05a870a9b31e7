// The wire format, the record-file contract and the answer logic, in process. This binary
// compiles the berth_dns sources with AddressSanitizer and UBSan, so the fuzz cases below
// catch any read past a packet, not only crashes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "berth/error.h"
#include "berth/file_io.h"
#include "berth/netns/dns_message.h"
#include "berth/netns/dns_records.h"
#include "dns_answer.h"
#include "dns_zone.h"

namespace berth::netns {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes query(const std::string& name, std::uint16_t type, bool edns = false) {
    dns::MessageBuilder b;
    b.set_header(0x1234, dns::kFlagRd);
    EXPECT_TRUE(b.add_question(name, type));
    if (edns) b.add_opt(4096);
    return b.bytes();
}

DnsNetworkFile sample_file() {
    DnsNetworkFile file;
    file.listen = {"10.88.0.1"};
    file.domain = "mynet";
    file.records = {{"a", {"web"}, "10.88.0.2"}, {"b", {"web"}, "10.88.0.3"}};
    file.upstreams = {"10.88.0.1:53", "192.0.2.1"};  // the first is ourselves: dropped
    return file;
}

std::shared_ptr<const ZoneView> sample_view() {
    auto table = build_zone_table({{"mynet", sample_file()}}, {}, 53, 1);
    return table->by_address.begin()->second;
}

dns::Message answer(const ZoneView& view, const Bytes& q, std::size_t cap = 65535,
                    bool udp = false) {
    FastRng rng{42};
    dns::ParsedQuery parsed;
    Bytes out(cap);
    AnswerResult r = answer_query(&view, q, parsed, out.data(), cap, udp, rng);
    EXPECT_EQ(r.outcome, Outcome::kAnswer);
    out.resize(r.size);
    dns::Message m;
    std::string error;
    EXPECT_TRUE(dns::parse_message(out, m, &error)) << error;
    return m;
}

TEST(DnsWire, EncodeNameChecksLabels) {
    std::string wire;
    EXPECT_TRUE(dns::encode_name("Web.mynet.", wire));
    EXPECT_EQ(wire, std::string("\3Web\5mynet\0", 11));
    EXPECT_TRUE(dns::encode_name(".", wire));
    EXPECT_EQ(wire, std::string("\0", 1));
    EXPECT_FALSE(dns::encode_name("a..b", wire));
    EXPECT_FALSE(dns::encode_name(std::string(64, 'x'), wire));
    EXPECT_TRUE(dns::encode_name(std::string(63, 'x'), wire));
    EXPECT_FALSE(dns::encode_name("sp ace", wire));
    EXPECT_TRUE(dns::encode_name("sp ace", wire, /*strict=*/false));
    std::string long_name;
    for (int i = 0; i < 50; ++i) long_name += "abcd.";
    EXPECT_FALSE(dns::encode_name(long_name + "abcdef", wire));  // 256 bytes of wire
}

TEST(DnsWire, BuilderCompressesNamesAndParsesBack) {
    dns::MessageBuilder b;
    b.set_header(7, dns::kFlagQr);
    ASSERT_TRUE(b.add_question("www.example.com", dns::kTypePtr));
    ASSERT_TRUE(b.add_name_rr("WWW.example.com", dns::kTypePtr, 60, "mail.example.com"));
    const Bytes& bytes = b.bytes();
    // Answer owner: a pointer to offset 12; the target: "mail" + a pointer to "example.com".
    std::size_t question_end = 12 + 17 + 4;
    EXPECT_EQ(bytes[question_end], 0xC0);
    EXPECT_EQ(bytes[question_end + 1], 12);
    EXPECT_EQ(bytes.size(), question_end + 2 + 10 + 1 + 4 + 2);
    dns::Message m;
    ASSERT_TRUE(dns::parse_message(bytes, m));
    ASSERT_EQ(m.answers.size(), 1u);
    EXPECT_EQ(m.answers[0].name, "www.example.com.");
    EXPECT_EQ(m.answers[0].target, "mail.example.com.");
}

TEST(DnsWire, ReadNameRejectsForwardAndLoopingPointers) {
    Bytes self = {0xC0, 0};
    std::uint8_t out[dns::kMaxNameWire];
    std::size_t len = 0, offset = 0;
    EXPECT_FALSE(dns::read_name(self, offset, out, len));
    Bytes forward = {0xC0, 2, 1, 'a', 0};
    offset = 0;
    EXPECT_FALSE(dns::read_name(forward, offset, out, len));
    Bytes backward = {1, 'a', 0, 1, 'b', 0xC0, 0};
    offset = 3;
    ASSERT_TRUE(dns::read_name(backward, offset, out, len));
    EXPECT_EQ(offset, 7u);
    EXPECT_EQ(dns::wire_name_to_text({out, len}), "b.a.");
    // Two pointers bouncing between each other.
    Bytes bounce = {0xC0, 2, 0xC0, 0};
    offset = 2;
    EXPECT_FALSE(dns::read_name(bounce, offset, out, len));
}

TEST(DnsWire, ParseQueryStrictness) {
    dns::ParsedQuery q;
    Bytes good = query("Web.MyNet", dns::kTypeA, true);
    ASSERT_EQ(dns::parse_query(good, q), dns::QueryCheck::kOk);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(q.name), q.name_len),
              std::string("\3web\5mynet\0", 11));
    EXPECT_TRUE(q.has_edns);
    EXPECT_EQ(q.edns_udp_size, 4096);
    EXPECT_EQ(dns::parse_query({good.data(), 11}, q), dns::QueryCheck::kDrop);
    for (std::size_t cut = 12; cut < good.size(); ++cut)
        EXPECT_EQ(dns::parse_query({good.data(), cut}, q), dns::QueryCheck::kFormErr) << cut;
    Bytes two_opts = good;
    two_opts[11] = 2;
    two_opts.insert(two_opts.end(), good.end() - 11, good.end());
    EXPECT_EQ(dns::parse_query(two_opts, q), dns::QueryCheck::kFormErr);
}

TEST(DnsAnswer, ZoneAnswersNamesAliasesPtrAndNoData) {
    auto view = sample_view();
    dns::Message a = answer(*view, query("A.MYNET", dns::kTypeA));
    EXPECT_EQ(a.rcode(), dns::kNoError);
    EXPECT_TRUE(a.flags & dns::kFlagAa);
    EXPECT_TRUE(a.flags & dns::kFlagRd);
    ASSERT_EQ(a.answers.size(), 1u);
    EXPECT_EQ(a.answers[0].name, "A.MYNET.");  // the question's case, through the pointer
    EXPECT_EQ(a.answers[0].rdata, (std::vector<std::uint8_t>{10, 88, 0, 2}));
    EXPECT_EQ(answer(*view, query("web", dns::kTypeA)).answers.size(), 2u);
    dns::Message ptr = answer(*view, query("3.0.88.10.in-addr.arpa", dns::kTypePtr));
    ASSERT_EQ(ptr.answers.size(), 1u);
    EXPECT_EQ(ptr.answers[0].target, "b.mynet.");
    dns::Message aaaa = answer(*view, query("web", dns::kTypeAaaa));
    EXPECT_EQ(aaaa.rcode(), dns::kNoError);
    EXPECT_TRUE(aaaa.answers.empty());
    EXPECT_EQ(answer(*view, query("zz", dns::kTypeA)).rcode(), dns::kNxDomain);
    EXPECT_EQ(answer(*view, query("zz.mynet", dns::kTypeA)).rcode(), dns::kNxDomain);
    // "mynetx" is not under "mynet": that one would be forwarded.
    FastRng rng{1};
    dns::ParsedQuery parsed;
    std::uint8_t out[512];
    Bytes other = query("a.mynetx", dns::kTypeA);
    EXPECT_EQ(answer_query(view.get(), other, parsed, out, sizeof out, true, rng).outcome,
              Outcome::kForward);
    ASSERT_EQ(view->upstreams.size(), 1u);  // 10.88.0.1:53 is ourselves: dropped
}

TEST(DnsAnswer, UdpLimitTruncatesAndEdnsRaisesIt) {
    DnsNetworkFile file = sample_file();
    for (int i = 0; i < 60; ++i)
        file.records.push_back({std::string("n").append(std::to_string(i)),
                                {"many"},
                                "10.88.1." + std::to_string(i + 1)});
    auto table = build_zone_table({{"mynet", file}}, {}, 53, 1);
    const ZoneView& view = *table->by_address.begin()->second;
    dns::Message classic = answer(view, query("many", dns::kTypeA), 4096, /*udp=*/true);
    EXPECT_TRUE(classic.flags & dns::kFlagTc);
    EXPECT_EQ(classic.answers.size(), (512u - 12 - 10) / 16);
    dns::Message edns = answer(view, query("many", dns::kTypeA, true), 4096, true);
    EXPECT_FALSE(edns.flags & dns::kFlagTc);
    EXPECT_EQ(edns.answers.size(), 60u);
}

TEST(DnsRecords, ParseValidatesEveryField) {
    auto expect_error = [](const std::string& json, const std::string& fragment) {
        try {
            parse_dns_network_file(json, "n.json");
            ADD_FAILURE() << "accepted " << json;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expect_error("{", "dns records n.json: not valid JSON");
    expect_error("[]", "must be a JSON object");
    expect_error("{}", "listen: at least one IPv4 address is required");
    expect_error(R"({"listen":["10.0.0.300"]})", "listen[0]: not an IPv4 address");
    expect_error(R"({"listen":["10.0.0.1"],"records":[{"name":"a b","ipv4":"10.0.0.2"}]})",
                 "records[0].name: not a DNS name");
    expect_error(R"({"listen":["10.0.0.1"],"records":[{"name":"a","ipv4":"x"}]})",
                 "records[0].ipv4: not an IPv4 address: 'x'");
    expect_error(R"({"listen":["10.0.0.1"],"upstreams":["1.2.3.4:99999"]})",
                 "upstreams[0]: not IPv4 or IPv4:PORT");
    DnsNetworkFile parsed = parse_dns_network_file(render_dns_network_file(sample_file()), "x");
    EXPECT_EQ(parsed.records.size(), 2u);
    EXPECT_EQ(parsed.records[1].aliases, std::vector<std::string>{"web"});
    EXPECT_EQ(parsed.domain, "mynet");
    EXPECT_EQ(parsed.upstreams, sample_file().upstreams);
}

TEST(DnsRecords, WriteIsAtomicAndRemoveIsIdempotent) {
    char dir_template[] = "/tmp/berth-dns-records-XXXXXX";
    std::string dir = ::mkdtemp(dir_template);
    write_dns_network_file(dir + "/sub", "mynet", sample_file());
    std::string text = read_file(dir + "/sub/mynet.json");
    EXPECT_EQ(parse_dns_network_file(text, "mynet.json").records[0].name, "a");
    EXPECT_THROW(write_dns_network_file(dir, "../evil", sample_file()), Error);
    DnsNetworkFile bad = sample_file();
    bad.records[0].ipv4 = "nope";
    EXPECT_THROW(write_dns_network_file(dir + "/sub", "mynet", bad), Error);
    EXPECT_EQ(read_file(dir + "/sub/mynet.json"), text);  // the old file is untouched
    remove_dns_network_file(dir + "/sub", "mynet");
    remove_dns_network_file(dir + "/sub", "mynet");
    EXPECT_FALSE(path_exists(dir + "/sub/mynet.json"));
    ::rmdir((dir + "/sub").c_str());
    ::rmdir(dir.c_str());
}

TEST(DnsRecords, ResolvConfParsingAndContainerFile) {
    auto servers = parse_resolv_conf_nameservers(
        "# comment\nnameserver 192.0.2.1\n  nameserver\t192.0.2.2 # x\nnameserver ::1\n"
        "nameservers 1.1.1.1\nsearch example.com\n");
    EXPECT_EQ(servers, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
    EXPECT_EQ(container_resolv_conf("10.88.0.1", {"example.com"}),
              "nameserver 10.88.0.1\nsearch example.com\noptions ndots:0\n");
}

// Random, truncated and mutated packets through every parser and the answer path.
TEST(DnsFuzz, ParsersAndAnswersSurviveHostileBytes) {
    auto view = sample_view();
    std::mt19937 rng(7);
    std::vector<Bytes> seeds = {query("web", dns::kTypeA, true), query("a.mynet", dns::kTypePtr),
                                query("x.example.com", dns::kTypeAny, true)};
    {
        dns::MessageBuilder b;  // a response with compression, to mutate too
        b.set_header(1, dns::kFlagQr);
        b.add_question("www.example.com", dns::kTypeA);
        std::uint8_t ip[4] = {1, 2, 3, 4};
        b.add_a("www.example.com", 5, ip);
        b.add_name_rr("example.com", dns::kTypeNs, 5, "ns.example.com");
        seeds.push_back(b.bytes());
    }
    FastRng answer_rng{3};
    std::vector<std::uint8_t> out(65535);
    for (int i = 0; i < 200000; ++i) {
        Bytes packet;
        int mode = i % 4;
        if (mode == 0) {
            packet.resize(rng() % 128);
            for (auto& b : packet) b = static_cast<std::uint8_t>(rng());
        } else {
            packet = seeds[rng() % seeds.size()];
            if (mode == 1) packet.resize(rng() % (packet.size() + 1));
            for (int flips = 1 + static_cast<int>(rng() % 6); flips > 0 && !packet.empty(); --flips)
                packet[rng() % packet.size()] = static_cast<std::uint8_t>(rng());
        }
        // Exact-size heap copies so ASan sees any read one byte past the end.
        auto heap = std::make_unique<std::uint8_t[]>(packet.size() + 1);
        std::copy(packet.begin(), packet.end(), heap.get());
        std::span<const std::uint8_t> bytes(heap.get(), packet.size());
        dns::Message m;
        dns::parse_message(bytes, m);
        dns::ParsedQuery q;
        AnswerResult r =
            answer_query(view.get(), bytes, q, out.data(), i % 2 ? 512 : 65535, i % 2, answer_rng);
        if (r.outcome == Outcome::kAnswer) {
            dns::Message reply;
            ASSERT_TRUE(dns::parse_message({out.data(), r.size}, reply)) << "case " << i;
            ASSERT_LE(r.size, i % 2 ? 512u : 65535u);
        }
    }
}

}  // namespace
}  // namespace berth::netns

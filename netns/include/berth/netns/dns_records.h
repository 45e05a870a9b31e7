// The record-file contract between berth (the writer: network create/connect/run/rm) and the
// berth-dns daemon (the reader). This header is the single source of truth for it.
//
// WHERE: one file per network, <config-dir>/<network>.json, default config dir
// kDefaultDnsConfigDir (/run/berth/dns). The network name is the file name without ".json";
// files whose names start with '.' or do not end in ".json" are ignored (temp files).
//
// HOW TO WRITE: always replace the whole file atomically (write a temp file in the same
// directory, rename it over the target): write_dns_network_file() does exactly that. berth-dns
// watches the directory with inotify (IN_CLOSE_WRITE, IN_MOVED_TO, IN_DELETE, IN_MOVED_FROM)
// and also reloads on SIGHUP, so no signal is needed. A reload builds the new table aside and
// swaps it in one pointer store: queries in flight are answered from the old or the new table,
// never from nothing. Deleting the file (remove_dns_network_file) removes the network's zone
// and closes its listeners.
//
// A file that fails to parse is reported on berth-dns's stderr and the previous good version
// of that network stays in service (a half-written or broken file never empties a zone).
//
// FORMAT (JSON object; unknown keys are ignored so the writer may add fields):
//   {
//     "listen":    ["10.88.0.1"],          // required: IPv4 addresses to serve this network on,
//                                          // UDP and TCP, port = berth-dns --port (53)
//     "domain":    "mynet",                // optional: names are also answered as NAME.DOMAIN
//     "records": [                         // optional (empty network)
//       {"name": "a", "aliases": ["web"], "ipv4": "10.88.0.2"},
//       {"name": "b", "aliases": ["web"], "ipv4": "10.88.0.3",
//        "container": "4f1c...",           // optional: the container's id (see CLIENTS)
//        "upstreams": ["10.0.0.53"]}       // optional: that container's own forwarders (--dns)
//     ],
//     "upstreams": ["192.0.2.53", "192.0.2.54:5353"]  // optional: forwarders for other names;
//                                          // absent or empty = the host's resolv.conf ones
//   }
// Names and aliases: DNS names of 1-63 character labels (letters, digits, '-', '_'), at most
// 253 characters, matched case-insensitively. Several records may share a name or alias: the
// answer then holds all of their addresses, in a random order per query (like Docker's
// --network-alias). Each record's address gets a PTR record (d.c.b.a.in-addr.arpa) naming the
// record's "name" (qualified with "domain" when one is set).
//
// ANSWERS (a query is answered from the zone of the network whose "listen" address it arrived
// on; two networks listing the same address share one merged zone):
//   - A for a known name: all its addresses, TTL kDnsRecordTtl (600 s like Docker's), AA set.
//     Names are answered bare ("a", like Docker) and, when "domain" is set, as "a.DOMAIN".
//   - AAAA (or any other type) for a known name: NOERROR with no answer (NODATA), so resolvers
//     do not fall through to upstream and do not wait.
//   - Single-label names that are not in the zone, and names under "domain": NXDOMAIN at once,
//     never forwarded (container name lookups do not leak to, or stall on, the upstreams).
//   - Anything else (and PTR for addresses not in the zone) is forwarded to the upstreams, in
//     order, over UDP from a fresh socket per query (random source port, getrandom() id; the
//     upstream's answer is relayed unchanged apart from the id; a truncated
//     one is fetched again over TCP when the client asked over TCP). The whole
//     attempt is bounded by berth-dns --upstream-timeout-ms (default 2000 ms): each upstream
//     gets an equal share, and when none answers the client gets SERVFAIL. No upstreams at
//     all: SERVFAIL.
//   - Loopback upstreams (127.0.0.53 of systemd-resolved...) are KEPT: berth-dns runs in the
//     host's network namespace, so it can reach them even though the containers cannot; that
//     is the main reason it listens on the gateway address from the host instead of on
//     127.0.0.11 inside each container (Docker's choice, which cannot use the host's loopback
//     resolver). Only an upstream equal to one of berth-dns's own listen address:port pairs is
//     dropped (it would loop).
//
// CLIENTS: a query is answered from the view of the client that sent it when that client
// (by source address) is a record's ipv4 and its container needs one of its own:
//   - a container with records in several networks (same "container" id) sees the names of
//     all of them, whichever of its networks' addresses it asks (Docker resolves the names of
//     every network a container is connected to);
//   - a container whose records carry "upstreams" has its other names forwarded there instead
//     of to the network's upstreams (--dns keeps container names working, as on Docker's
//     user-defined networks).
// Every other client gets the view of the listen address the query arrived on.
//
// WHERE CONTAINERS SEND QUERIES: the container's /etc/resolv.conf names the network's gateway
// address (the bridge address on the host) as its nameserver; container_resolv_conf() renders
// that file. berth-dns binds with IP_FREEBIND, so a file may name an address before the bridge
// carries it; queries are served as soon as the address is up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::netns {

inline constexpr const char* kDefaultDnsConfigDir = "/run/berth/dns";
inline constexpr const char* kDefaultDnsPidFile = "/run/berth/berth-dns.pid";
inline constexpr std::uint32_t kDnsRecordTtl = 600;

struct DnsRecord {
    std::string name;                  // container name
    std::vector<std::string> aliases;  // --network-alias values (may repeat across records)
    std::string ipv4;                  // dotted quad
    // Defaulted so that {name, aliases, ipv4} stays a complete initializer.
    std::string container{};               // container id ("" = unknown: no client view)
    std::vector<std::string> upstreams{};  // the container's own forwarders (--dns)
};

struct DnsNetworkFile {
    std::vector<std::string> listen;  // IPv4 addresses (the network's gateway)
    std::string domain;               // "" = bare names only
    std::vector<DnsRecord> records;
    std::vector<std::string> upstreams;  // "IP" or "IP:PORT"; empty = host resolv.conf
};

// Parses and validates one file's JSON; `origin` names the file in errors. Throws berth::Error
// with a one-line message naming the field: "dns records x.json: records[2].ipv4: ...".
DnsNetworkFile parse_dns_network_file(std::string_view json_text, const std::string& origin);
std::string render_dns_network_file(const DnsNetworkFile& file);

// Validates (same rules as the parser), creates the directory (0755) if needed and atomically
// replaces <dir>/<network>.json. Throws berth::Error on invalid content or I/O failure.
void write_dns_network_file(const std::string& dir, const std::string& network,
                            const DnsNetworkFile& file);
// Removes <dir>/<network>.json; a missing file is not an error.
void remove_dns_network_file(const std::string& dir, const std::string& network);

// True when `name` is a valid network name for a file (no '/', no leading '.', not empty).
bool is_valid_dns_network_name(std::string_view network);

// The container's /etc/resolv.conf: "nameserver <ip>", the search domains (if any) and
// "options ndots:0" (as Docker writes it: a bare "a" is asked as is, first).
std::string container_resolv_conf(const std::string& nameserver_ipv4,
                                  const std::vector<std::string>& search = {});

// "nameserver" lines of a resolv.conf text, as "IP" strings (IPv4 only; IPv6 is skipped).
std::vector<std::string> parse_resolv_conf_nameservers(std::string_view resolv_conf_text);

}  // namespace berth::netns

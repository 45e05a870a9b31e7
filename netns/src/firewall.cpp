#include "berth/netns/firewall.h"

#include <nftables/libnftables.h>

#include <sstream>

#include "berth/error.h"
#include "berth/file_io.h"

namespace berth::netns {
namespace {

std::string quoted(const std::string& name) {
    return "\"" + name + "\"";
}

void render_forward(std::ostringstream& out, const std::vector<Network>& networks) {
    out << "  set bridges {\n    type ifname\n";
    out << "    elements = { ";
    for (size_t i = 0; i < networks.size(); ++i)
        out << (i ? ", " : "") << quoted(networks[i].bridge);
    out << " }\n  }\n";
    out << "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
    for (const auto& net : networks) {
        std::string br = quoted(net.bridge);
        if (net.internal) {
            // Internal: traffic stays on the bridge, in either direction.
            out << "    iifname " << br << " oifname != " << br << " drop\n";
            out << "    oifname " << br << " iifname != " << br << " drop\n";
        } else {
            // Isolation: never routed from one berth network into another.
            out << "    iifname " << br << " oifname != " << br << " oifname @bridges drop\n";
        }
    }
    out << "  }\n";
}

void render_published(std::ostringstream& out, const std::vector<Network>& networks) {
    out << "  chain published {\n";
    for (const auto& net : networks) {
        if (net.internal) continue;  // as in Docker: an internal network publishes nothing
        for (const auto& [id, ep] : net.endpoints) {
            for (const auto& port : ep.ports) {
                out << "    ";
                if (port.host_ip.value) out << "ip daddr " << port.host_ip.str() << " ";
                out << port.protocol << " dport " << port.host_port << " dnat to " << ep.ip.str()
                    << ":" << port.container_port << "\n";
            }
        }
    }
    out << "  }\n";
    out << "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
           "    fib daddr type local jump published\n  }\n";
    out << "  chain output {\n    type nat hook output priority -100; policy accept;\n"
           "    fib daddr type local jump published\n  }\n";
}

void render_postrouting(std::ostringstream& out, const std::vector<Network>& networks) {
    out << "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
    for (const auto& net : networks) {
        if (net.internal) continue;
        std::string br = quoted(net.bridge);
        out << "    ip saddr " << net.subnet.str() << " oifname != " << br << " masquerade\n";
        // Host clients of published ports on 127.0.0.1: the container must see an address
        // it can answer (its gateway), not the loopback.
        out << "    ip saddr 127.0.0.0/8 oifname " << br << " masquerade\n";
    }
    out << "  }\n";
}

}  // namespace

std::string render_ruleset(const std::string& table, const std::vector<Network>& networks) {
    std::ostringstream out;
    // Declaring then deleting makes the delete safe when the table does not exist yet; the
    // whole script is one transaction, so the old rules are replaced atomically.
    out << "table ip " << table << "\ndelete table ip " << table << "\n";
    if (networks.empty()) return out.str();
    out << "table ip " << table << " {\n";
    render_forward(out, networks);
    render_published(out, networks);
    render_postrouting(out, networks);
    out << "}\n";
    return out.str();
}

Firewall::Firewall(std::string table) : table_(std::move(table)) {
    ctx_ = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx_) throw Error("nftables: cannot create a context");
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
}

Firewall::~Firewall() {
    nft_ctx_free(ctx_);
}

void Firewall::run(const std::string& script) {
    if (nft_run_cmd_from_buffer(ctx_, script.c_str()) != 0) {
        std::string message = nft_ctx_get_error_buffer(ctx_);
        while (!message.empty() && message.back() == '\n') message.pop_back();
        throw Error("nftables table " + table_ + ": " + message);
    }
}

void Firewall::apply(const std::vector<Network>& networks) {
    run(render_ruleset(table_, networks));
}

void enable_ip_forwarding() {
    const char* knob = "/proc/sys/net/ipv4/ip_forward";
    if (read_file(knob).starts_with("1")) return;
    write_existing_file(knob, "1");
}

void enable_route_localnet(const std::string& ifname) {
    write_existing_file("/proc/sys/net/ipv4/conf/" + ifname + "/route_localnet", "1");
}

}  // namespace berth::netns

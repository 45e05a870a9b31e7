#include "analyze_tree.h"

#include <algorithm>

#include "berth/error.h"

namespace berth::images {

struct AnalysisTree::Node {
    std::string name;
    Node* parent = nullptr;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::string link;
    uint64_t size = 0, prev_size = 0;
    // dive's efficiency data for this path.
    uint64_t cumulative = 0;
    int64_t minimum = -1;
    uint32_t nodes = 0;
    // Non-directory writes since the path last appeared (for the hints).
    uint32_t writes = 0;
    uint64_t written = 0;
    int32_t layer = -1, prev_layer = -1;  // the layer that last wrote it
    int32_t touched = -1;                 // prev_* hold the state below this layer
    int32_t child_in = -1;                // a layer with an entry below this path
    int32_t entry_in = -1, whiteout_in = -1;
    uint32_t entry_slot = 0, whiteout_slot = 0;
    char kind = 0, prev_kind = 0;  // ScanEntry kind; 0 = absent

    std::string path() const {
        std::vector<const Node*> chain;
        for (const Node* n = this; n->parent; n = n->parent) chain.push_back(n);
        std::string out;
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) out += "/" + (*it)->name;
        return out.empty() ? "/" : out;
    }
};

namespace {

constexpr char kDir = static_cast<char>(ScanEntry::Kind::dir);

}  // namespace

AnalysisTree::AnalysisTree(HintCollector& hints, int tree_layer, bool tree_changed_only)
    : hints_(hints),
      tree_layer_(tree_layer),
      tree_changed_only_(tree_changed_only),
      root_(std::make_unique<Node>()) {
    root_->kind = kDir;
}

AnalysisTree::~AnalysisTree() {
    // Deep trees would recurse through unique_ptr destructors: take them apart iteratively.
    std::vector<std::unique_ptr<Node>> pending;
    pending.push_back(std::move(root_));
    while (!pending.empty()) {
        std::unique_ptr<Node> n = std::move(pending.back());
        pending.pop_back();
        for (auto& [name, c] : n->children) pending.push_back(std::move(c));
    }
}

AnalysisTree::Node* AnalysisTree::child(Node* parent, const std::string& name) {
    auto it = parent->children.find(name);
    if (it != parent->children.end()) return it->second.get();
    auto n = std::make_unique<Node>();
    n->name = name;
    n->parent = parent;
    Node* raw = n.get();
    parent->children.emplace(name, std::move(n));
    return raw;
}

void AnalysisTree::touch(Node* n) {
    if (n->touched == cur_) return;
    n->prev_kind = n->kind;
    n->prev_size = n->size;
    n->prev_layer = n->layer;
    n->touched = cur_;
    touched_.push_back(n);
}

// What a whiteout hides: everything below written by lower layers (entries this layer
// already wrote stay; tars normally list whiteouts first, but not all do).
void AnalysisTree::remove_lower(Node* n) {
    for (auto& [name, c] : n->children) remove_lower(c.get());
    if (!n->kind || n->layer == cur_) return;
    touch(n);
    if (n->kind != kDir) {
        hints_.on_remove(cur_, n->written, [n] { return n->path(); });
        n->written = 0;
        n->writes = 0;
    }
    n->kind = 0;
}

// The bytes below n in the layers under the current one (dive's stacked tree 0..N-1).
uint64_t AnalysisTree::lower_subtree(const Node* n) const {
    bool fresh = n->touched == cur_;
    if (!(fresh ? n->prev_kind : n->kind)) return 0;
    uint64_t total = fresh ? n->prev_size : n->size;
    for (const auto& [name, c] : n->children) total += lower_subtree(c.get());
    return total;
}

// dive's tree holds one node per name per layer: a second entry for the same path only
// replaces the first one's size. A whiteout is a different node ("".wh.x") of the same path.
void AnalysisTree::record(Node* n, uint64_t size, bool whiteout) {
    int32_t& in = whiteout ? n->whiteout_in : n->entry_in;
    uint32_t& slot = whiteout ? n->whiteout_slot : n->entry_slot;
    if (in == cur_) {
        dive_[slot].size = size;
        return;
    }
    in = cur_;
    slot = static_cast<uint32_t>(dive_.size());
    dive_.push_back({n, size, whiteout});
}

// Walks to the parent directory of `path`, creating (or, over a file, replacing) the
// directories on the way, as extracting the layer would; `base` gets the last component.
AnalysisTree::Node* AnalysisTree::parent_of(const std::string& path, std::string& base) {
    Node* n = root_.get();
    size_t pos = 0;
    int depth = 0;
    for (;;) {
        size_t slash = path.find('/', pos);
        n->child_in = cur_;
        if (slash == std::string::npos) {
            base = path.substr(pos);
            return n;
        }
        if (++depth > 4096) throw Error("path nesting deeper than 4096: " + path.substr(0, 200));
        Node* c = child(n, path.substr(pos, slash - pos));
        if (c->kind != kDir) {
            touch(c);
            c->kind = kDir;
            c->size = 0;
            c->layer = cur_;
        }
        n = c;
        pos = slash + 1;
    }
}

void AnalysisTree::write(Node* n, const ScanEntry& e) {
    char kind = static_cast<char>(e.kind);
    if (n->kind == kDir && kind != kDir) {
        for (auto& [name, c] : n->children) remove_lower(c.get());
    }
    touch(n);
    if (n->layer == cur_ && n->kind && n->kind != kDir) {  // rewritten within this layer
        n->written -= n->size;
        --n->writes;
    }
    n->kind = kind;
    n->size = e.size;
    n->link = e.link;
    n->layer = cur_;
    if (kind != kDir) {
        n->written += e.size;
        ++n->writes;
        hints_.on_write(cur_, e.path, e.size);
    }
}

void AnalysisTree::apply(int index, const LayerScan& scan, LayerAnalysis& out) {
    cur_ = index;
    touched_.clear();
    dive_.clear();
    out.size_bytes = 0;
    out.entries = scan.entries.size();
    std::string base;
    for (const ScanEntry& e : scan.entries) {
        out.size_bytes += e.size;
        if (e.kind == ScanEntry::Kind::opaque) {
            // The marker is no node of its own (dive ignores it); its directory hides
            // everything lower layers put in it.
            Node* dir = child(parent_of(e.path, base), base);
            if (dir->kind != kDir) write(dir, {e.path, 0, ScanEntry::Kind::dir, ""});
            dir->child_in = cur_;
            for (auto& [name, c] : dir->children) remove_lower(c.get());
            continue;
        }
        Node* n = child(parent_of(e.path, base), base);
        if (e.kind == ScanEntry::Kind::whiteout) {
            bool fresh = n->touched == cur_;
            uint64_t charge = (fresh ? n->prev_kind : n->kind) == kDir ? lower_subtree(n) : 0;
            remove_lower(n);
            record(n, charge, true);
            continue;
        }
        write(n, e);
        record(n, e.size, false);
    }
    end_layer(out);
}

void AnalysisTree::end_layer(LayerAnalysis& out) {
    for (const DiveEntry& d : dive_) {
        if (!d.whiteout && d.node->child_in == cur_) continue;  // not a leaf of this layer
        Node* n = d.node;
        n->cumulative += d.size;
        if (n->minimum < 0 || static_cast<int64_t>(d.size) < n->minimum)
            n->minimum = static_cast<int64_t>(d.size);
        ++n->nodes;
    }
    out.added = out.modified = out.removed = {};
    for (const Node* n : touched_) {
        bool was = n->prev_kind && n->prev_kind != kDir;
        bool is = n->kind && n->kind != kDir;
        if (is && n->layer == cur_) {
            ChangeCount& c = was ? out.modified : out.added;
            ++c.files;
            c.bytes += n->size;
        } else if (was && !is) {
            ++out.removed.files;
            out.removed.bytes += n->prev_size;
        }
    }
    if (cur_ == tree_layer_) capture_tree(tree_);
}

namespace {

struct TreeWalk {
    int layer;
    bool changed_only;
    std::vector<TreeLine>& lines;

    struct Totals {
        uint64_t present = 0, removed = 0;  // bytes still there / removed by the layer
        bool changed = false;
    };
    // Emits n's children (pre-order; a directory's line gets its size after its children).
    template <typename NodeT>
    Totals walk(const NodeT* n, int depth, const std::string& prefix) {
        Totals out;
        for (const auto& [name, c] : n->children) {
            bool fresh = c->touched == layer;
            bool removed = fresh && c->prev_kind && !c->kind;
            if (!c->kind && !removed) continue;
            char kind = removed ? c->prev_kind : c->kind;
            char change = ' ';
            if (fresh && !c->prev_kind && c->kind) change = 'A';
            if (removed) change = 'D';
            if (fresh && c->prev_kind && c->kind && c->kind != kDir && c->layer == layer)
                change = 'M';
            size_t at = lines.size();
            std::string path = prefix + "/" + name;
            lines.push_back({depth, name, path, c->link, kind, change, 0});
            uint64_t size = removed ? c->prev_size : c->size;
            bool changed = change != ' ';
            if (kind == kDir) {
                Totals below = walk(c.get(), depth + 1, path);
                // A removed directory is shown with what it held.
                size += removed ? below.removed : below.present;
                out.removed += below.removed;
                changed = changed || below.changed;
            }
            lines[at].size = size;
            if (changed_only && !changed) lines.resize(at);
            if (removed && kind != kDir) out.removed += size;
            if (!removed) out.present += size;
            out.changed = out.changed || changed;
        }
        return out;
    }
};

}  // namespace

void AnalysisTree::capture_tree(std::vector<TreeLine>& lines) {
    lines.clear();
    TreeWalk{cur_, tree_changed_only_, lines}.walk(root_.get(), 0, "");
}

uint64_t AnalysisTree::subtree_size(const std::string& path) const {
    const Node* n = root_.get();
    size_t pos = 0;
    while (pos < path.size()) {
        size_t slash = path.find('/', pos);
        if (slash == std::string::npos) slash = path.size();
        auto it = n->children.find(std::string_view(path).substr(pos, slash - pos));
        if (it == n->children.end() || !it->second->kind) return 0;
        n = it->second.get();
        pos = slash + 1;
    }
    uint64_t total = 0;
    std::vector<const Node*> stack = {n};
    while (!stack.empty()) {
        const Node* c = stack.back();
        stack.pop_back();
        if (!c->kind) continue;
        total += c->size;
        for (const auto& [name, k] : c->children) stack.push_back(k.get());
    }
    return total;
}

void AnalysisTree::finish(ImageAnalysis& out) {
    uint64_t minimum = 0, cumulative = 0;
    out.wasted.clear();
    out.wasted_bytes = 0;
    out.files = 0;
    // Iterative, with the path kept on a stack of (node, path) so nothing recomputes it.
    std::vector<std::pair<const Node*, std::string>> stack;
    stack.emplace_back(root_.get(), "");
    while (!stack.empty()) {
        auto [n, path] = std::move(stack.back());
        stack.pop_back();
        if (n->nodes > 0) {
            minimum += static_cast<uint64_t>(n->minimum);
            cumulative += n->cumulative;
            if (n->nodes >= 2) {
                out.wasted.push_back({path.empty() ? "/" : path, n->nodes, n->cumulative});
                out.wasted_bytes += n->cumulative;
            }
        }
        if (n->kind && n->kind != kDir) {
            ++out.files;
            hints_.on_final_file(std::string_view(path).substr(1), n->size, n->writes, n->written);
        }
        for (const auto& [name, c] : n->children) stack.emplace_back(c.get(), path + "/" + name);
    }
    out.efficiency = cumulative == 0 ? 1.0 : double(minimum) / double(cumulative);
    std::sort(out.wasted.begin(), out.wasted.end(), [](const WastedPath& a, const WastedPath& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.path < b.path;
    });
    out.tree_layer = tree_layer_;
    out.tree = std::move(tree_);
}

}  // namespace berth::images

// The merged file tree an analysis builds layer by layer: every path ever seen is one node
// (kept after it is deleted, with its dive efficiency data), overlay semantics for whiteouts,
// opaque directories and type changes, and a snapshot of each touched node's state below the
// current layer, so whiteouts are charged and changes classified against the layers below.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analyze_hints.h"
#include "berth/images/analyze.h"
#include "layer_scan.h"

namespace berth::images {

class AnalysisTree {
  public:
    AnalysisTree(HintCollector& hints, int tree_layer, bool tree_changed_only);
    ~AnalysisTree();
    AnalysisTree(const AnalysisTree&) = delete;
    AnalysisTree& operator=(const AnalysisTree&) = delete;

    // Layers must come bottom first. Fills size_bytes, entries and the change counts.
    void apply(int index, const LayerScan& scan, LayerAnalysis& out);
    // Efficiency, wasted bytes and paths, file count and the captured tree; feeds the
    // final image's files to the hint collector.
    void finish(ImageAnalysis& out);
    // Bytes below a directory (or a file's size) of the current tree; 0 if absent.
    uint64_t subtree_size(const std::string& path) const;

    struct Node;

  private:
    struct DiveEntry {
        Node* node;
        uint64_t size;
        bool whiteout;
    };
    Node* child(Node* parent, const std::string& name);
    Node* parent_of(const std::string& path, std::string& base);
    void touch(Node* n);
    void remove_lower(Node* n);
    uint64_t lower_subtree(const Node* n) const;
    void record(Node* n, uint64_t size, bool whiteout);
    void write(Node* n, const ScanEntry& e);
    void end_layer(LayerAnalysis& out);
    void capture_tree(std::vector<TreeLine>& lines);

    HintCollector& hints_;
    int tree_layer_;
    bool tree_changed_only_;
    std::unique_ptr<Node> root_;
    int cur_ = -1;
    std::vector<Node*> touched_;
    std::vector<DiveEntry> dive_;
    std::vector<TreeLine> tree_;
};

}  // namespace berth::images

// Runs an analysis: layers are scanned by a few threads (decompression is the cost; 2 cores
// scan 2 layers at once) and applied to the tree strictly in order by the calling thread. At
// most `parallel` scanned-but-unapplied listings exist at a time, so memory stays bounded by
// the listings of a few layers plus the tree.
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "analyze_input.h"
#include "analyze_tree.h"
#include "berth/error.h"
#include "berth/images/history.h"
#include "layer_scan.h"

namespace berth::images {
namespace {

// Lets a failed analysis stop the other scans at their next chunk.
class CancellableStream : public ByteStream {
  public:
    CancellableStream(std::unique_ptr<ByteStream> in, const std::atomic<bool>& stop)
        : in_(std::move(in)), stop_(stop) {}
    std::string_view next() override {
        if (stop_) throw Error("cancelled");
        return in_->next();
    }

  private:
    std::unique_ptr<ByteStream> in_;
    const std::atomic<bool>& stop_;
};

std::string layer_what(const ImageInput& in, size_t i) {
    const Descriptor& d = in.layers[i].desc;
    return "layer " + std::to_string(i) +
           (d.digest.empty() ? "" : " (" + d.digest.short_str() + ")");
}

class ScanPool {
  public:
    ScanPool(const ImageInput& input, const ScanLimits& limits, int parallel)
        : input_(input),
          limits_(limits),
          window_(static_cast<size_t>(std::max(1, parallel))),
          slots_(input.layers.size()) {
        size_t n = std::min(window_, input.layers.size());
        for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
    }
    ~ScanPool() {
        stop_ = true;
        cv_.notify_all();
        threads_.clear();  // joins
    }
    LayerScan take(size_t i) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return slots_[i].done; });
        Slot& s = slots_[i];
        taken_ = i + 1;
        cv_.notify_all();
        if (s.error) std::rethrow_exception(s.error);
        return std::move(*s.scan);
    }

  private:
    struct Slot {
        bool done = false;
        std::optional<LayerScan> scan;
        std::exception_ptr error;
    };
    void work() {
        for (;;) {
            size_t i;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [&] {
                    return stop_ || next_ >= slots_.size() || next_ < taken_ + window_;
                });
                if (stop_ || next_ >= slots_.size()) return;
                i = next_++;
            }
            Slot result;
            try {
                const LayerInput& l = input_.layers[i];
                CancellableStream in(l.open(), stop_);
                result.scan = scan_layer(in, layer_what(input_, i), limits_,
                                         l.check_digest || l.desc.digest.empty());
            } catch (...) {
                result.error = std::current_exception();
                stop_ = true;  // the consumer rethrows it; the others need not finish
            }
            std::lock_guard<std::mutex> lock(mutex_);
            result.done = true;
            slots_[i] = std::move(result);
            cv_.notify_all();
        }
    }

    const ImageInput& input_;
    ScanLimits limits_;
    size_t window_;
    std::vector<Slot> slots_;
    std::mutex mutex_;
    std::condition_variable cv_;
    size_t next_ = 0, taken_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<std::jthread> threads_;  // last: joined before the rest goes
};

std::string config_string(const nlohmann::json& config, const char* key) {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ImageAnalysis run_analysis(const ImageInput& input, const AnalyzeOptions& options) {
    ImageAnalysis out;
    out.source = input.source;
    out.reference = input.reference;
    out.id = input.id;
    out.manifest = input.manifest;
    out.os = config_string(input.config, "os");
    out.architecture = config_string(input.config, "architecture");
    if (auto c = input.config.find("config"); c != input.config.end() && c->is_object())
        out.user = config_string(*c, "User");
    size_t n = input.layers.size();
    int tree_layer =
        options.tree_layer == kTreeFinal ? static_cast<int>(n) - 1 : options.tree_layer;
    if (tree_layer >= static_cast<int>(n) || tree_layer < -1)
        throw Error("--layer " + std::to_string(options.tree_layer) + ": the image has " +
                    std::to_string(n) + " layers (0-" + std::to_string(n ? n - 1 : 0) + ")");

    // The commands: one history entry per layer, empty_layer entries (ENV, CMD...) skipped.
    std::vector<HistoryEntry> history =
        config_history(input.config, std::vector<uint64_t>(n, 0), "config " + input.id.str());
    std::vector<const HistoryEntry*> by_layer;
    for (const HistoryEntry& e : history)
        if (!e.empty_layer && by_layer.size() < n) by_layer.push_back(&e);

    HintCollector hints;
    AnalysisTree tree(hints, tree_layer, options.tree_changed_only);
    ScanLimits limits{options.max_tar_bytes, options.max_entries};
    ScanPool pool(input, limits, options.parallel);
    for (size_t i = 0; i < n; ++i) {
        const LayerInput& in = input.layers[i];
        LayerScan scan = pool.take(i);
        std::string what = layer_what(input, i);
        if (scan.diff_id != in.diff_id)
            throw Error(what + ": DiffID mismatch: config says " + in.diff_id.str() +
                        ", uncompressed content is " + scan.diff_id.str());
        if (in.check_digest && scan.blob_digest != in.desc.digest)
            throw Error(what + ": digest mismatch: content is " + scan.blob_digest.str());
        LayerAnalysis la;
        la.index = static_cast<int>(i);
        la.digest = in.desc.digest.empty() ? scan.blob_digest : in.desc.digest;
        la.diff_id = in.diff_id;
        la.media_type = in.desc.media_type;
        la.compressed_bytes = scan.compressed_bytes;
        la.uncompressed_bytes = scan.tar_bytes;
        if (i < by_layer.size()) {
            la.command = by_layer[i]->created_by;
            la.comment = by_layer[i]->comment;
            la.created = by_layer[i]->created;
        }
        tree.apply(la.index, scan, la);
        out.size_bytes += la.size_bytes;
        if (i > 0) out.user_size_bytes += la.size_bytes;
        out.compressed_bytes += la.compressed_bytes;
        out.layers.push_back(std::move(la));
    }
    tree.finish(out);
    out.user_wasted_percent =
        out.user_size_bytes ? double(out.wasted_bytes) / double(out.user_size_bytes) : 0.0;
    out.hints =
        hints.finish(input.config, [&](const std::string& p) { return tree.subtree_size(p); });
    return out;
}

}  // namespace berth::images

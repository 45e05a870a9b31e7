// What `berth pull` shows while blobs arrive: one line per blob redrawn in place on a
// terminal (bytes, rate), plain "done" lines otherwise (logs, CI), nothing with -q.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "berth/images/pull.h"

namespace berth::cli {

class PullDisplay {
  public:
    PullDisplay(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}
    void update(const images::PullProgress& p);

  private:
    struct Row {
        images::Digest digest;
        std::string text;
    };
    void redraw(size_t row);
    std::FILE* out_;
    bool terminal_;
    std::vector<Row> rows_;
};

std::string human_bytes(double bytes);

}  // namespace berth::cli

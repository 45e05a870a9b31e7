// A new network namespace starts with `lo` down; containers expect 127.0.0.1 to work (runc and
// crun bring it up too).
#pragma once

namespace berth::runtime {

void bring_up_loopback();

}  // namespace berth::runtime

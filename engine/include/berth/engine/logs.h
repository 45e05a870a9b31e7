// Container logs: the monitor writes docker's json-file format, one JSON object per line
//   {"log":"hello\n","stream":"stdout","time":"2026-12-01T06:31:02.123456789Z"}
// into containers/<id>/container.log, rotated by size into container.log.1, .2...
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "berth/fd.h"

namespace berth::engine {

class Engine;

class LogWriter {
  public:
    // max_size 0: never rotate. max_files counts the live file: 2 keeps container.log.1.
    LogWriter(std::string path, uint64_t max_size, int max_files);
    // Writes whole lines; a partial line waits for its end (or for 16 KiB, or flush()).
    void write(const char* stream, const char* data, size_t size);
    void flush();

  private:
    void write_line(const char* stream, const std::string& line);
    void rotate();
    std::string path_;
    uint64_t max_size_;
    int max_files_;
    UniqueFd fd_;
    uint64_t size_ = 0;
    std::string partial_out_, partial_err_;
};

// "10m", "512k", "1g", "100" -> bytes. Throws naming the text.
uint64_t parse_size(const std::string& text);

struct LogsOptions {
    bool follow = false;
    long tail = -1;  // -1: all
    bool timestamps = false;
};

// Prints a container's log (stdout lines to out, stderr lines to err). With follow, keeps
// printing new lines (across rotations) until the container is no longer running.
void print_logs(Engine& engine, const std::string& id, const LogsOptions& options, std::FILE* out,
                std::FILE* err);

}  // namespace berth::engine

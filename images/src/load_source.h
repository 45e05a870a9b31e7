// Where `load` reads an archive's files from: a directory (OCI layout) or a tar (OCI layout
// or docker save). Names are archive-relative; nothing is trusted until its digest matched.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "berth/images/digest.h"
#include "byte_stream.h"

struct archive_entry;  // libarchive's

namespace berth::images {

class Store;

// An archive member's name, cleaned ("./a//b" -> "a/b"); an Error naming `what` for ".." or "".
std::string clean_name(const std::string& name, const std::string& what);
// A link target inside the archive: "dir/" + "../x/layer.tar" -> "x/layer.tar"; climbing
// above the archive root is an error.
std::string resolve_in_archive(const std::string& dir, const std::string& target,
                               const std::string& what);

// If `entry` is a hard or symbolic link, records cleaned name -> archive-relative target in
// `links` (docker save links identical legacy layer dirs) and returns true.
bool record_archive_link(::archive_entry* entry, const std::string& tar,
                         std::map<std::string, std::string>& links);

class LoadSource {
  public:
    virtual ~LoadSource() = default;
    virtual bool has(const std::string& name) = 0;
    // Whole small file (metadata); an Error if missing or larger than max.
    virtual std::string read(const std::string& name, size_t max = 4 << 20) = 0;
    virtual Digest digest_of(const std::string& name) = 0;
    virtual int64_t size_of(const std::string& name) = 0;
    // Stores the file as a blob; an Error naming `expected` if the content hashes otherwise.
    virtual void put_blob(const std::string& name, const Digest& expected, Store& store) = 0;
    // The file's bytes, streamed (layers: analyze reads them without a copy).
    virtual std::unique_ptr<ByteStream> open_stream(const std::string& name) = 0;
};

std::unique_ptr<LoadSource> open_dir_source(const std::string& dir);
// Reads the whole tar once, staging every regular file under the store's tmp/; more than
// `limit` bytes of content is refused (a compressed archive can be a bomb too).
std::unique_ptr<LoadSource> open_tar_source(const std::string& tar, Store& store, uint64_t limit);
// Reads a tar without staging anything: one pass lists it and keeps the small files
// (metadata) in memory; open_stream re-reads the archive up to the file (seeking past the
// others when the archive is not compressed). put_blob is refused: it needs no store.
std::unique_ptr<LoadSource> open_tar_stream_source(const std::string& tar);

}  // namespace berth::images

/// \file
/// Reads a whole data file into memory, inflating it first when it is gzip-compressed.
///
/// MNIST-style distributions ship their IDX files either gzip-compressed (the original site,
/// Debian's dataset-fashion-mnist package) or already inflated (torchvision's raw/ folder), so
/// the readers accept both. A file is treated as gzip exactly when it starts with the gzip magic
/// bytes 1f 8b (RFC 1952, section 2.3.1); everything else is read as it is.
#pragma once

#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"

namespace wrnn {
namespace data {

/// The bytes of a file after inflating it, and whether it was gzip-compressed (for messages).
struct FileBytes {
  std::vector<std::uint8_t> bytes;  ///< The content, inflated.
  bool was_gzip = false;            ///< Whether the file was gzip-compressed.
};

namespace detail {

inline std::string open_failure(const std::string& path) {
  return wrnn::detail::concat("cannot open '", path, "': ", std::strerror(errno));
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

inline std::vector<std::uint8_t> read_raw(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw FormatError(open_failure(path));
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get());
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got < sizeof chunk) break;
  }
  if (std::ferror(file.get()))
    throw FormatError(
        wrnn::detail::concat("error while reading '", path, "' after ", bytes.size(), " bytes"));
  return bytes;
}

inline std::vector<std::uint8_t> read_gzip(const std::string& path) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw FormatError(open_failure(path));
  gzbuffer(file.get(), 1 << 17);
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const int got = gzread(file.get(), chunk, sizeof chunk);
    if (got < 0) break;  // the error is reported below
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got == 0) break;
  }
  // A gzip stream cut short or with a bad CRC leaves zlib in an error state (Z_BUF_ERROR for
  // "unexpected end of file", Z_DATA_ERROR for a corrupt stream) instead of a clean end.
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END)
    throw FormatError(wrnn::detail::concat("gzip file '", path,
                                           "': expected a complete gzip stream, received one that "
                                           "zlib rejects after ",
                                           bytes.size(), " inflated bytes (", message, ")"));
  return bytes;
}

inline bool starts_with_gzip_magic(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw FormatError(open_failure(path));
  std::uint8_t magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, file.get());
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

}  // namespace detail

/// The whole content of `path`, inflated when the file starts with the gzip magic bytes.
/// \throws FormatError naming the file when it cannot be opened or read, or its gzip stream is
///         cut short or corrupt.
inline FileBytes read_file_bytes(const std::string& path) {
  FileBytes result;
  result.was_gzip = detail::starts_with_gzip_magic(path);
  result.bytes = result.was_gzip ? detail::read_gzip(path) : detail::read_raw(path);
  return result;
}

}  // namespace data
}  // namespace wrnn

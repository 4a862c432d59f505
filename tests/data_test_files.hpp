// Helpers for the data tests: a scratch directory and writers for the real file formats
// (IDX with its big-endian header, raw or gzip-compressed; CIFAR-10 binary records).
#pragma once

#include <zlib.h>

#include <unistd.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"

namespace data_test {

using Bytes = std::vector<std::uint8_t>;

// A fresh directory under the system temp folder, removed with everything in it on destruction.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("wrnn_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_raw(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  if (!bytes.empty())
    REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
}

inline Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An IDX file: 0, 0, element type, dimension count, big-endian uint32 sizes, then the payload.
inline Bytes idx_file(std::uint8_t element_type, const std::vector<std::uint32_t>& dimensions,
                      const Bytes& payload) {
  Bytes bytes = {0, 0, element_type, static_cast<std::uint8_t>(dimensions.size())};
  for (std::uint32_t size : dimensions)
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<std::uint8_t>(size >> shift));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

// Deterministic, position-dependent pixel values (not a multiple of anything in the layout, so a
// wrong index shows).
inline std::uint8_t pattern(std::size_t i, std::size_t salt = 0) {
  return static_cast<std::uint8_t>((i * 37 + salt * 101 + (i / 7) * 11) % 256);
}

// Runs `action`, requires it to throw wrnn::FormatError, and returns the message.
template <class Action>
std::string format_error_of(Action&& action) {
  try {
    action();
  } catch (const wrnn::FormatError& error) {
    return error.what();
  }
  FAIL("expected wrnn::FormatError, nothing was thrown");
  return {};
}

}  // namespace data_test

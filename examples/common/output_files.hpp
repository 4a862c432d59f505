// The programs' output files: every output path is checked before the first training step, so
// that a path that cannot be written (a file where a folder should be, a device such as
// /dev/full, a read-only file system such as /proc, a full disk) stops the run at once rather
// than losing its results after hours of training; and every file is written whole or not at all
// (io::write_file_atomically: temporary file, fsync, rename), with write errors reported.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/io/atomic_file.hpp"

namespace wrnn::examples {

namespace output_internal {

// Writes, flushes to disk and removes a probe file of 64 kB in `folder`: a folder that takes a
// file of that size now will take the program's (the probe catches read-only file systems, missing
// permissions and a disk already full). `path` is the flag's value, named in the error.
inline void probe_writable(const std::string& flag, const std::string& path,
                           const std::filesystem::path& folder) {
  const std::string probe = (folder / (".wrnn-write-test-" + std::to_string(::getpid()))).string();
  const auto fail = [&](const char* what, int error) {
    ::unlink(probe.c_str());
    throw FormatError(wrnn::detail::concat(flag, " ", path, ": cannot ", what, " in ",
                                           folder.string(), " (", std::strerror(error), ")"));
  };
  const int descriptor = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (descriptor < 0) fail("create a file", errno);
  const std::vector<char> block(1 << 16, '\n');
  std::size_t written = 0;
  while (written < block.size()) {
    const ssize_t n = ::write(descriptor, block.data() + written, block.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      ::close(descriptor);
      fail("write a file", error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(descriptor) != 0) {
    const int error = errno;
    ::close(descriptor);
    fail("flush a file to disk", error);
  }
  if (::close(descriptor) != 0) fail("write a file", errno);
  ::unlink(probe.c_str());
}

// Creates `folder` (and its parents) unless it exists; FormatError naming the flag when it cannot
// be created or exists as something else.
inline void create_folder(const std::string& flag, const std::filesystem::path& folder) {
  std::error_code error;
  if (std::filesystem::is_directory(folder, error)) return;
  if (std::filesystem::exists(folder, error))
    throw FormatError(
        wrnn::detail::concat(flag, " ", folder.string(), ": exists and is not a folder"));
  std::filesystem::create_directories(folder, error);
  if (error || !std::filesystem::is_directory(folder))
    throw FormatError(wrnn::detail::concat(flag, " ", folder.string(),
                                           ": cannot create the folder (",
                                           error ? error.message() : "not a folder", ")"));
}

// FormatError unless `path` is absent or a regular file (the atomic write replaces it by rename,
// which would replace a device node or fail on a folder).
inline void require_replaceable(const std::string& flag, const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw FormatError(wrnn::detail::concat(
        flag, " ", path.string(), ": exists and is not a regular file (",
        std::filesystem::is_directory(status) ? "a folder" : "a device or other special file",
        "); give the path of a file to write"));
}

}  // namespace output_internal

// --out DIR: creates the folder, checks that each of `files` (the names the program writes
// there) can be replaced, and that the folder takes a new file.
inline void prepare_output_folder(const std::string& flag, const std::string& folder,
                                  const std::vector<std::string>& files) {
  output_internal::create_folder(flag, folder);
  for (const std::string& file : files)
    output_internal::require_replaceable(flag, std::filesystem::path(folder) / file);
  output_internal::probe_writable(flag, folder, folder);
}

// --save FILE, --checkpoint FILE: the file's folder as above, and the file itself absent or a
// regular file.
inline void prepare_output_file(const std::string& flag, const std::string& path) {
  if (path.empty() || path.back() == '/')
    throw ValueError(wrnn::detail::concat(flag, " '", path, "': expected the path of a file"));
  const std::filesystem::path file = std::filesystem::absolute(path);
  output_internal::create_folder(flag, file.parent_path());
  output_internal::require_replaceable(flag, file);
  output_internal::probe_writable(flag, path, file.parent_path());
}

// Whether two paths name the same file (after resolving ".", "..", symbolic links and the current
// folder; for files that do not exist yet, as far as their folders exist).
inline bool same_file(const std::string& a, const std::string& b) {
  std::error_code error_a, error_b;
  const auto canonical_a = std::filesystem::weakly_canonical(std::filesystem::absolute(a), error_a);
  const auto canonical_b = std::filesystem::weakly_canonical(std::filesystem::absolute(b), error_b);
  if (error_a || error_b) return std::filesystem::absolute(a) == std::filesystem::absolute(b);
  return canonical_a == canonical_b;
}

// Replaces `path` with `text`, atomically; FormatError naming the path if any write fails.
inline void write_text_file(const std::string& path, const std::string& text) {
  io::write_file_atomically(path, text.data(), text.size());
}

}  // namespace wrnn::examples

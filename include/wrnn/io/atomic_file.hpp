// Replacing a file so that a crash at any moment leaves either the old file or the new one, whole.
//
// The new contents go to a temporary file in the target's directory (same file system, so the
// final rename cannot turn into a copy). Once everything is written the temporary file is flushed
// to the disk (fsync) and renamed over the target; rename() replaces a file atomically on POSIX
// file systems: every reader, and the disk after a power cut, sees the old file or the new one.
// Finally the directory is fsync'ed so that the rename itself is durable.
//
//   write temp  ->  fsync(temp)  ->  rename(temp, target)  ->  fsync(directory)
//   a kill before the rename leaves the old target (and at worst a stray "<target>.tmp-*" file);
//   a kill after it leaves the new target.
//
// POSIX only (open, fsync, rename).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "wrnn/core/error.hpp"

namespace wrnn::io {

class AtomicFileWriter {
 public:
  // Creates the temporary file "<target>.tmp-<pid>-<n>" next to `target_path`.
  explicit AtomicFileWriter(std::string target_path) : target_path_(std::move(target_path)) {
    static std::atomic<unsigned long> counter{0};
    const auto ticks = static_cast<unsigned long long>(
        std::chrono::steady_clock::now().time_since_epoch().count());
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::string candidate = target_path_ + ".tmp-" + std::to_string(::getpid()) + "-" +
                                    std::to_string(ticks % 1000000) + "-" +
                                    std::to_string(counter++);
      // 0666 filtered by the umask: the new file gets the permissions a plain fopen would give.
      // O_EXCL: never reuse (and later delete) a file somebody else made.
      descriptor_ = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (descriptor_ >= 0) {
        temp_path_ = candidate;
        return;
      }
      if (errno != EEXIST) fail("cannot create the temporary file");
    }
    fail("cannot create a temporary file with an unused name");
  }

  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Not committed: the temporary file is removed and the target is left as it was.
  ~AtomicFileWriter() { discard(); }

  void write(const void* data, std::size_t size) {
    require_open("write");
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t written = ::write(descriptor_, bytes, size);
      if (written < 0) {
        if (errno == EINTR) continue;
        fail("cannot write the temporary file");
      }
      bytes += written;
      size -= static_cast<std::size_t>(written);
    }
  }

  // fsync, close, rename over the target, fsync the directory. On failure the target is untouched.
  void commit() {
    require_open("commit");
    if (::fsync(descriptor_) != 0) fail("cannot flush the temporary file to disk");
    const int descriptor = descriptor_;
    descriptor_ = -1;
    if (::close(descriptor) != 0) fail("cannot close the temporary file");
    if (std::rename(temp_path_.c_str(), target_path_.c_str()) != 0)
      fail("cannot rename the temporary file over the target");
    committed_ = true;
    sync_directory();
  }

  // Abandons the new contents (what the destructor does when commit() was not reached).
  void discard() noexcept {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
      descriptor_ = -1;
    }
    if (!committed_ && !temp_path_.empty()) std::remove(temp_path_.c_str());
    temp_path_.clear();
  }

  const std::string& temp_path() const { return temp_path_; }
  const std::string& target_path() const { return target_path_; }

 private:
  [[noreturn]] void fail(const char* what) {
    const int error = errno;
    discard();
    throw FormatError(wrnn::detail::concat("writing '", target_path_, "': ", what, " (",
                                           std::strerror(error), ")"));
  }

  void require_open(const char* operation) const {
    if (descriptor_ < 0)
      throw FormatError(wrnn::detail::concat("writing '", target_path_, "': ", operation,
                                             " after the file was committed or discarded"));
  }

  // Makes the rename durable. Best effort: some file systems refuse fsync on a directory, and the
  // new file is already in place, so an error here is not reported.
  void sync_directory() const noexcept {
    const std::size_t slash = target_path_.find_last_of('/');
    const std::string directory = slash == std::string::npos ? "."
                                  : slash == 0               ? "/"
                                                             : target_path_.substr(0, slash);
    const int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor >= 0) {
      ::fsync(descriptor);
      ::close(descriptor);
    }
  }

  std::string target_path_;
  std::string temp_path_;
  int descriptor_ = -1;
  bool committed_ = false;
};

// Replaces (or creates) `path` with `size` bytes, atomically as described above.
inline void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  AtomicFileWriter writer(path);
  writer.write(data, size);
  writer.commit();
}

}  // namespace wrnn::io

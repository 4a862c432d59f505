/// \file
/// Replacing a file so that a crash at any moment leaves either the old file or the new one, whole.
///
/// The new contents go to a temporary file in the target's directory (same file system, so the
/// final rename cannot turn into a copy). Once everything is written the temporary file is flushed
/// to the disk (fsync) and renamed over the target; rename() replaces a file atomically on POSIX
/// file systems: every reader, and the disk after a power cut, sees the old file or the new one.
/// Finally the directory is fsync'ed so that the rename itself is durable.
///
///     write temp  ->  fsync(temp)  ->  rename(temp, target)  ->  fsync(directory)
///     a kill before the rename leaves the old target (and at worst a stray "<target>.tmp-*" file);
///     a kill after it leaves the new target.
///
/// The next successful commit to the same target removes such strays: files named exactly
/// "<target>.tmp-<digits>-<digits>-<digits>" whose last change is older than the start of the
/// committing process. A save in progress in another process writes to its file, so its change time
/// is recent and it is left alone; so is every other name.
///
/// POSIX only (open, fsync, rename); finding the process's start reads Linux's /proc (elsewhere no
/// strays are removed).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "wrnn/core/error.hpp"

namespace wrnn::io {

namespace detail {

// When this process started, in nanoseconds since the epoch (as st_mtim counts), from Linux's
// /proc/self/stat (field 22: clock ticks after boot) and /proc/stat ("btime": the boot, in whole
// seconds, so the result may be up to a second early). Negative when /proc cannot tell.
inline long long process_start_nanoseconds() noexcept {
  try {
    std::ifstream self("/proc/self/stat");
    std::string line;
    if (!std::getline(self, line)) return -1;
    // Field 2, the command name, is in parentheses and may hold spaces: count from the last ')'.
    const std::size_t name_end = line.rfind(')');
    if (name_end == std::string::npos) return -1;
    std::istringstream fields(line.substr(name_end + 1));
    std::string field;
    for (int index = 3; index <= 22; ++index)
      if (!(fields >> field)) return -1;
    const long long start_ticks = std::stoll(field);
    std::ifstream stat("/proc/stat");
    long long boot_seconds = -1;
    for (std::string key; stat >> key;) {
      if (key == "btime") {
        stat >> boot_seconds;
        break;
      }
      std::getline(stat, line);
    }
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    if (boot_seconds < 0 || start_ticks < 0 || ticks_per_second <= 0) return -1;
    return boot_seconds * 1000000000LL + start_ticks * (1000000000LL / ticks_per_second);
  } catch (...) {
    return -1;
  }
}

// Whether `name` is "<base>.tmp-<digits>-<digits>-<digits>", the name AtomicFileWriter gives its
// temporary files for the target named `base`.
inline bool is_temporary_name_of(const std::string& name, const std::string& base) {
  const std::string prefix = base + ".tmp-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  int groups = 0;
  bool in_digits = false;
  for (std::size_t i = prefix.size(); i < name.size(); ++i) {
    const char c = name[i];
    if (c >= '0' && c <= '9') {
      if (!in_digits) ++groups;
      in_digits = true;
    } else if (c == '-' && in_digits) {
      in_digits = false;
    } else {
      return false;
    }
  }
  return groups == 3 && in_digits;
}

// Removes the temporary files of `target_path` that saves killed before this process started
// left behind (see the file comment). Best effort: whatever cannot be listed or removed stays.
inline void remove_stale_temporaries(const std::string& target_path) noexcept {
  static const long long process_start = process_start_nanoseconds();
  if (process_start < 0) return;
  const std::size_t slash = target_path.find_last_of('/');
  const std::string directory = slash == std::string::npos ? "."
                                : slash == 0               ? "/"
                                                           : target_path.substr(0, slash);
  const std::string base = slash == std::string::npos ? target_path : target_path.substr(slash + 1);
  DIR* listing = ::opendir(directory.c_str());
  if (listing == nullptr) return;
  try {
    while (const dirent* entry = ::readdir(listing)) {
      const std::string name = entry->d_name;
      if (!is_temporary_name_of(name, base)) continue;
      const std::string path = directory + "/" + name;
      struct stat status {};
      if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) continue;
      const long long changed =
          static_cast<long long>(status.st_mtim.tv_sec) * 1000000000LL + status.st_mtim.tv_nsec;
      if (changed < process_start) std::remove(path.c_str());
    }
  } catch (...) {  // std::bad_alloc from a name: stop, as for any other failure
  }
  ::closedir(listing);
}

}  // namespace detail

/// Writes a file so that a crash at any moment leaves either the old file or the new one, whole
/// (see the file's comment): write(), then commit(); without commit() the target is untouched.
class AtomicFileWriter {
 public:
  /// Creates the temporary file "<target>.tmp-<pid>-<n>" next to `target_path`.
  /// \throws FormatError naming the target and the system's reason when it cannot be created.
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

  AtomicFileWriter(const AtomicFileWriter&) = delete;             ///< Not copyable.
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;  ///< Not copyable.

  /// Not committed: the temporary file is removed and the target is left as it was.
  ~AtomicFileWriter() { discard(); }

  /// Appends `size` bytes from `data` to the temporary file.
  /// \throws FormatError when writing fails (the temporary file is then removed) or the writer
  ///         was already committed or discarded.
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

  /// fsync, close, rename over the target, fsync the directory, then remove the target's stale
  /// temporary files (see the file comment). On failure the target is untouched.
  /// \throws FormatError naming the step that failed and the system's reason.
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
    detail::remove_stale_temporaries(target_path_);
  }

  /// Abandons the new contents (what the destructor does when commit() was not reached).
  void discard() noexcept {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
      descriptor_ = -1;
    }
    if (!committed_ && !temp_path_.empty()) std::remove(temp_path_.c_str());
    temp_path_.clear();
  }

  const std::string& temp_path() const { return temp_path_; }      ///< The temporary file.
  const std::string& target_path() const { return target_path_; }  ///< The file it replaces.

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

  /// Makes the rename durable. Best effort: some file systems refuse fsync on a directory, and the
  /// new file is already in place, so an error here is not reported.
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

/// Replaces (or creates) `path` with `size` bytes, atomically as described above.
inline void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  AtomicFileWriter writer(path);
  writer.write(data, size);
  writer.commit();
}

}  // namespace wrnn::io

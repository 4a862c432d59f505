// Atomic replacement of files (wrnn/io/atomic_file.hpp) and SafetensorsWriter::write on top of
// it: an abandoned write leaves the old file, a finished one replaces it whole and leaves no
// temporary file (and removes those that killed saves left before the process began), and a
// process killed (SIGKILL) at random moments while saving over and over always leaves a
// complete, valid file, either the old or the new contents.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "wrnn/io/atomic_file.hpp"
#include "wrnn/io/safetensors.hpp"

namespace test_safetensors_atomic {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// A fresh, empty directory for one test case.
fs::path fresh_directory(const std::string& name) {
  const fs::path directory =
      fs::temp_directory_path() / ("wrnn_test_atomic_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& path, const std::string& text) {
  wrnn::io::write_file_atomically(path.string(), text.data(), text.size());
}

std::size_t count_files(const fs::path& directory) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(directory), {}));
}

// A safetensors file whose every value is `fill`, large enough that writing it takes a while.
wrnn::io::SafetensorsWriter filled_writer(float fill) {
  wrnn::io::SafetensorsWriter writer;
  const std::vector<float> values(1 << 18, fill);
  writer.add("weight", {512, 512}, values);
  writer.set_metadata("fill", std::to_string(fill));
  return writer;
}

}  // namespace

TEST_CASE("write_file_atomically creates and replaces a file, leaving no temporary file") {
  const fs::path directory = fresh_directory("replace");
  const fs::path target = directory / "model.safetensors";
  write_text(target, "first version");
  CHECK(read_text(target) == "first version");
  write_text(target, "second");
  CHECK(read_text(target) == "second");
  CHECK(count_files(directory) == 1);
  fs::remove_all(directory);
}

TEST_CASE("an abandoned write (a crash before the rename) leaves the old file intact") {
  const fs::path directory = fresh_directory("abandon");
  const fs::path target = directory / "checkpoint.safetensors";
  write_text(target, "old checkpoint");
  {
    wrnn::io::AtomicFileWriter writer(target.string());
    const std::string partial = "half of a new chec";
    writer.write(partial.data(), partial.size());
    // The new bytes are in the temporary file, beside the untouched target.
    CHECK(fs::exists(writer.temp_path()));
    CHECK(fs::path(writer.temp_path()).parent_path() == directory);
    CHECK(read_text(writer.temp_path()) == partial);
    CHECK(read_text(target) == "old checkpoint");
  }  // destroyed without commit(), as when an exception unwinds the save
  CHECK(read_text(target) == "old checkpoint");
  CHECK(count_files(directory) == 1);
  fs::remove_all(directory);
}

TEST_CASE("a write that cannot happen raises FormatError naming the path") {
  CHECK_THROWS_AS(write_text("/nonexistent_directory/model.safetensors", "x"), wrnn::FormatError);
  CHECK_THROWS_WITH(write_text("/nonexistent_directory/model.safetensors", "x"),
                    Contains("/nonexistent_directory/model.safetensors") &&
                        Contains("cannot create the temporary file"));
  const fs::path directory = fresh_directory("commit_twice");
  wrnn::io::AtomicFileWriter writer((directory / "f").string());
  writer.commit();
  CHECK_THROWS_AS(writer.commit(), wrnn::FormatError);
  fs::remove_all(directory);
}

TEST_CASE("a successful write removes its target's temporary files left before the process began") {
  const fs::path directory = fresh_directory("stale");
  const fs::path target = directory / "model.safetensors";
  const auto make = [&](const std::string& name, bool old) {
    write_text(directory / name, "left behind");
    if (old)  // changed an hour ago: before this process started
      fs::last_write_time(directory / name,
                          fs::last_write_time(directory / name) - std::chrono::hours(1));
  };
  make("model.safetensors.tmp-123-456-7", true);  // a killed save's: removed
  make("model.safetensors.tmp-9-0-11", true);     // removed
  make("model.safetensors.tmp-99-1-2", false);    // changed since the start: a save in progress
  make("model.safetensors.tmp-1-2", true);        // other names stay
  make("model.safetensors.tmp-1-2-3x", true);
  make("model.safetensors.tmp-1-2-3.bak", true);
  make("model.safetensors.tmp--1-2", true);
  make("other.safetensors.tmp-1-2-3", true);
  fs::create_directory(directory / "model.safetensors.tmp-5-6-7");  // not a file: stays
  fs::last_write_time(
      directory / "model.safetensors.tmp-5-6-7",
      fs::last_write_time(directory / "model.safetensors.tmp-5-6-7") - std::chrono::hours(1));
  write_text(target, "saved");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names ==
        std::vector<std::string>{"model.safetensors", "model.safetensors.tmp--1-2",
                                 "model.safetensors.tmp-1-2", "model.safetensors.tmp-1-2-3.bak",
                                 "model.safetensors.tmp-1-2-3x", "model.safetensors.tmp-5-6-7",
                                 "model.safetensors.tmp-99-1-2", "other.safetensors.tmp-1-2-3"});
  // A write that fails before its rename removes nothing.
  make("model.safetensors.tmp-4-5-6", true);
  { wrnn::io::AtomicFileWriter abandoned(target.string()); }
  CHECK(fs::exists(directory / "model.safetensors.tmp-4-5-6"));
  fs::remove_all(directory);
}

TEST_CASE("SafetensorsWriter::write replaces a file whole") {
  const fs::path directory = fresh_directory("writer");
  const fs::path target = directory / "model.safetensors";
  filled_writer(1.0f).write(target.string());
  filled_writer(2.0f).write(target.string());
  const auto file = wrnn::io::SafetensorsFile::read(target.string());
  CHECK(file.metadata_value("fill") == std::to_string(2.0f));
  const std::vector<float> values = file.get<float>("weight");
  CHECK(std::count(values.begin(), values.end(), 2.0f) == static_cast<long>(values.size()));
  CHECK(count_files(directory) == 1);
  fs::remove_all(directory);
}

TEST_CASE("a process killed at random moments while saving always leaves a valid file") {
  const fs::path directory = fresh_directory("kill");
  const fs::path target = directory / "checkpoint.safetensors";
  filled_writer(0.0f).write(target.string());
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Save again and again, each save with new values, until killed.
      for (int version = 1;; ++version)
        filled_writer(static_cast<float>(version)).write(target.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3 + 7 * round));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    kills += WIFSIGNALED(status) ? 1 : 0;

    // Whatever the moment of the kill: a whole, valid file whose values all agree.
    const auto file = wrnn::io::SafetensorsFile::read(target.string());
    const std::vector<float> values = file.get<float>("weight");
    REQUIRE(values.size() == 512u * 512u);
    CHECK(std::count(values.begin(), values.end(), values.front()) ==
          static_cast<long>(values.size()));
    CHECK(file.metadata_value("fill") == std::to_string(values.front()));
    // Only the temporary file of the killed save can be left behind; clean it for the next round.
    for (const auto& entry : fs::directory_iterator(directory))
      if (entry.path() != target) {
        CHECK(entry.path().filename().string().rfind("checkpoint.safetensors.tmp-", 0) == 0);
        fs::remove(entry.path());
      }
  }
  CHECK(kills == 12);
  fs::remove_all(directory);
}

}  // namespace test_safetensors_atomic

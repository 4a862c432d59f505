// A CSV file the programs write (curve.csv and the like) as rows of cells, for the tests that run
// a program and read what it wrote (test_seq_image.cpp, test_seq_image_options.cpp). The programs
// quote nothing, so a cell is what lies between two commas.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wrnn_test {

inline std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace wrnn_test

// A sweep file: a grid of runs in the format of Weights & Biases sweeps, the format of the
// authors' own sweep files (their copy/copy_sweep_wrnn.yml and the like; docs/sweeps.md):
//
//   program: copy_task.py         # which program runs (examples/wrnn_sweep.cpp)
//   method: grid                  # every combination of the values below
//   name: Copy_Sweep_wRNN         # project, entity, name, description: W&B's, no effect
//   parameters:
//     lr:
//       values: [1e-2, 1e-3]      # an axis of the grid
//     act:
//       value: relu               # one value for every run
//
// This file reads the grid and expands it into runs; sweep_flags.hpp turns a run's parameters
// into the program's flags.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"

namespace wrnn::examples::sweep {

// One parameter of the grid: its name and its values, as the file writes them (the text of each
// YAML scalar, so that 1e-3 stays "1e-3" in run names and flags).
struct Axis {
  std::string name;
  std::vector<std::string> values;
  bool swept() const { return values.size() > 1; }
};

struct Grid {
  std::string program;     // the file's `program`
  std::vector<Axis> axes;  // in the file's order
};

// One run of the grid: its place in the grid's order, its name and a value for every parameter.
struct Run {
  std::size_t index = 0;
  std::string name;
  std::vector<std::pair<std::string, std::string>> parameters;  // the axes' order

  const std::string* find(const std::string& parameter) const {
    for (const auto& [name_, value] : parameters)
      if (name_ == parameter) return &value;
    return nullptr;
  }
};

namespace grid_internal {

// "<source>, line N: " for a node of the file (yaml-cpp counts lines from 0).
inline std::string where(const std::string& source, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return source + ": ";
  return detail::concat(source, ", line ", mark.line + 1, ": ");
}

inline const char* kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
      return "nothing (null)";
    default:
      return "no value";
  }
}

// Characters a value may have: it becomes part of a folder name (the run's name) and of a
// command line.
inline bool is_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '+' || c == '_';
}

inline std::string scalar_value(const std::string& source, const std::string& parameter,
                                const YAML::Node& node) {
  if (!node.IsScalar())
    throw FormatError(where(source, node) + "parameter '" + parameter +
                      "': expected a single value (a number or a word), received " +
                      kind_name(node));
  const std::string& text = node.Scalar();
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_name_character))
    throw FormatError(where(source, node) + "parameter '" + parameter +
                      "': expected a value of letters, digits and . + - _ (it names the run's "
                      "folder), received '" +
                      text + "'");
  return text;
}

inline Axis read_axis(const std::string& source, const std::string& name, const YAML::Node& spec) {
  if (!spec.IsMap())
    throw FormatError(where(source, spec) + "parameter '" + name +
                      "': expected a mapping with 'values: [...]' or 'value: x', received " +
                      kind_name(spec));
  Axis axis{name, {}};
  bool has_values = false, has_value = false;
  for (const auto& entry : spec) {
    const std::string key = entry.first.Scalar();
    if (key == "values") {
      has_values = true;
      const YAML::Node& list = entry.second;
      if (!list.IsSequence() || list.size() == 0)
        throw FormatError(where(source, list) + "parameter '" + name +
                          "': 'values' expected a non-empty list, received " +
                          (list.IsSequence() ? std::string("an empty list") : kind_name(list)));
      for (const auto& value : list) {
        std::string text = scalar_value(source, name, value);
        if (std::find(axis.values.begin(), axis.values.end(), text) != axis.values.end())
          throw FormatError(where(source, value) + "parameter '" + name + "': the value '" + text +
                            "' is listed twice (it would name two runs alike)");
        axis.values.push_back(std::move(text));
      }
    } else if (key == "value") {
      has_value = true;
      axis.values.push_back(scalar_value(source, name, entry.second));
    } else if (key == "distribution" || key == "min" || key == "max" || key == "mu" ||
               key == "sigma" || key == "q" || key == "probabilities") {
      throw ValueError(where(source, entry.first) + "parameter '" + name + "': '" + key +
                       "' describes values drawn at random; a grid needs 'values: [...]' or "
                       "'value: x'");
    } else if (key == "parameters") {
      throw FormatError(where(source, entry.first) + "parameter '" + name +
                        "': nested parameters are not supported; expected 'values' or 'value'");
    } else {
      throw FormatError(where(source, entry.first) + "parameter '" + name +
                        "': expected 'values' or 'value', received '" + key + "'");
    }
  }
  if (has_values == has_value)
    throw FormatError(where(source, spec) + "parameter '" + name +
                      (has_value ? "': has both 'values' and 'value'; expected one"
                                 : "': expected 'values: [...]' or 'value: x', received neither"));
  return axis;
}

}  // namespace grid_internal

// Reads a sweep file's text. `source` names it in errors. FormatError for text that is not YAML
// or not a grid in this format, ValueError for a sweep method other than grid (W&B's random and
// bayes draw values), each naming the line and what was expected.
inline Grid parse_grid(const std::string& text, const std::string& source) {
  using grid_internal::kind_name;
  using grid_internal::where;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw FormatError(detail::concat(source, ", line ", error.mark.line + 1, ": not valid YAML (",
                                     error.msg, ")"));
  }
  if (!root.IsMap())
    throw FormatError(source + ": expected a mapping with 'program', 'method' and 'parameters', " +
                      "received " + kind_name(root));
  Grid grid;
  bool has_method = false, has_parameters = false;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    if (key == "program") {
      if (!value.IsScalar())
        throw FormatError(where(source, value) + "'program': expected a program name, received " +
                          kind_name(value));
      grid.program = value.Scalar();
    } else if (key == "method") {
      has_method = true;
      if (!value.IsScalar() || value.Scalar() != "grid")
        throw ValueError(where(source, value) + "'method': expected 'grid' (every combination " +
                         "of the values), received " +
                         (value.IsScalar() ? "'" + value.Scalar() + "'" : kind_name(value)));
    } else if (key == "project" || key == "entity" || key == "name" || key == "description") {
      // Weights & Biases' bookkeeping: where the runs are logged there. wrnn_sweep writes to --out.
    } else if (key == "parameters") {
      has_parameters = true;
      if (!value.IsMap() || value.size() == 0)
        throw FormatError(where(source, value) +
                          "'parameters': expected a mapping of parameter names, received " +
                          (value.IsMap() ? std::string("an empty mapping") : kind_name(value)));
      for (const auto& parameter : value) {
        const std::string name = parameter.first.Scalar();
        for (const Axis& axis : grid.axes)
          if (axis.name == name)
            throw FormatError(where(source, parameter.first) + "parameter '" + name +
                              "' is given twice");
        grid.axes.push_back(grid_internal::read_axis(source, name, parameter.second));
      }
    } else {
      throw FormatError(where(source, entry.first) + "unknown key '" + key +
                        "': expected program, method, parameters (or W&B's project, entity, "
                        "name, description)");
    }
  }
  if (grid.program.empty()) throw FormatError(source + ": expected a 'program', found none");
  if (!has_method) throw FormatError(source + ": expected 'method: grid', found no 'method'");
  if (!has_parameters) throw FormatError(source + ": expected 'parameters', found none");
  return grid;
}

// The name of a run: its values on the swept axes (those of more than one value) in the file's
// order, "T=10,lr=1e-3"; "run" for a grid of one run. Names are unique within a grid: values are
// unique within an axis and contain no ',' or '='.
inline std::string run_name(const Grid& grid, const std::vector<std::string>& values) {
  std::string name;
  for (std::size_t a = 0; a < grid.axes.size(); ++a) {
    if (!grid.axes[a].swept()) continue;
    if (!name.empty()) name += ',';
    name += grid.axes[a].name + '=' + values[a];
  }
  return name.empty() ? "run" : name;
}

// Every combination of the axes' values, the first axis varying slowest (W&B's grid order).
inline std::vector<Run> expand_grid(const Grid& grid) {
  std::size_t total = 1;
  for (const Axis& axis : grid.axes) total *= axis.values.size();
  std::vector<Run> runs;
  runs.reserve(total);
  std::vector<std::size_t> digit(grid.axes.size(), 0);
  for (std::size_t index = 0; index < total; ++index) {
    Run run;
    run.index = index;
    std::vector<std::string> values;
    for (std::size_t a = 0; a < grid.axes.size(); ++a) {
      values.push_back(grid.axes[a].values[digit[a]]);
      run.parameters.emplace_back(grid.axes[a].name, values.back());
    }
    run.name = run_name(grid, values);
    runs.push_back(std::move(run));
    for (std::size_t a = grid.axes.size(); a-- > 0;) {  // the last axis varies fastest
      if (++digit[a] < grid.axes[a].values.size()) break;
      digit[a] = 0;
    }
  }
  return runs;
}

}  // namespace wrnn::examples::sweep

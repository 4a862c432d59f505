// A sweep's summary, written by rank 0 when every run has ended: DIR/summary.csv (every run, every
// parameter, its result or its error, the steps it trained and where it stopped early),
// DIR/summary.markdown (the same as a markdown table, the swept parameters only) and
// DIR/plots/<parameter>.png for each swept parameter (the final test loss of every run against
// that parameter's value; for the adding task also the step it was solved at), drawn by gnuplot
// from the .dat and .gp files written beside them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/output_files.hpp"
#include "common/sweep_grid.hpp"
#include "common/sweep_run.hpp"

namespace wrnn::examples::sweep {

// What the summary says of one run, read back from its folder.
struct RunRecord {
  const Run* run = nullptr;
  std::string state;  // "done", "failed" or "not run"
  std::optional<nlohmann::json> results;
  int exit_status = 0;
  std::string error;
  std::optional<double> wall_seconds;
  std::optional<int> rank;
};

inline RunRecord read_record(const Run& run, const RunFiles& files) {
  RunRecord record;
  record.run = &run;
  const auto results = read_json(files.results());
  const auto status = read_json(files.status());
  if (status && status->is_object()) {
    record.exit_status = status->value("exit_status", 1);
    record.error = status->value("error", std::string());
    record.wall_seconds = status->value("wall_seconds", 0.0);
    record.rank = status->value("rank", 0);
  }
  if (results && results->is_object() && results->contains("final_test_loss")) {
    record.state = "done";
    record.results = results;
  } else if (status) {
    record.state = "failed";
  } else {
    record.state = "not run";
  }
  return record;
}

namespace summary_internal {

// A JSON value as a table cell: numbers as JSON writes them, null as empty.
inline std::string cell(const std::optional<nlohmann::json>& results, const char* key) {
  if (!results || !results->contains(key) || (*results)[key].is_null()) return "";
  const nlohmann::json& value = (*results)[key];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A number of the markdown table to three significant digits (the CSV keeps every digit).
inline std::string short_number(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') return text;
  char formatted[32];
  std::snprintf(formatted, sizeof formatted, "%.3g", value);
  return formatted;
}

inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

inline std::string markdown_field(const std::string& text) {
  std::string escaped;
  for (char c : text)
    escaped += c == '|' ? std::string("\\|") : std::string(1, c == '\n' ? ' ' : c);
  return escaped;
}

inline std::optional<double> number(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A string for a gnuplot script in single quotes (which gnuplot reads literally, '' being one ').
inline std::string gnuplot_string(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

inline std::string shell_word(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace summary_internal

// The result columns of summary.csv, each a field of the run's results.json but `steps`.
inline const std::vector<const char*>& result_columns() {
  static const std::vector<const char*> columns = {
      "final_train_loss", "final_test_loss", "solved_step", "stopped_early_at", "steps",
      "params",           "steps_per_second"};
  return columns;
}

// A result column's cell. `steps` is the last step the run trained (results.json's `last_step`),
// not the steps it was asked for: a run stopped early shows where it ended. A results.json without
// `last_step` gives its `steps`.
inline std::string result_cell(const std::optional<nlohmann::json>& results,
                               const std::string& column) {
  if (column == "steps" && results && results->contains("last_step"))
    return summary_internal::cell(results, "last_step");
  return summary_internal::cell(results, column.c_str());
}

inline void write_summary_csv(const std::filesystem::path& path, const Grid& grid,
                              const std::vector<RunRecord>& records) {
  using summary_internal::csv_field;
  std::ostringstream csv;
  csv << "run";
  for (const Axis& axis : grid.axes) csv << ',' << axis.name;
  csv << ",state";
  for (const char* column : result_columns()) csv << ',' << column;
  csv << ",wall_seconds,rank,exit_status,error\n";
  for (const RunRecord& record : records) {
    csv << csv_field(record.run->name);
    for (const auto& parameter : record.run->parameters) csv << ',' << csv_field(parameter.second);
    csv << ',' << record.state;
    for (const char* column : result_columns()) csv << ',' << result_cell(record.results, column);
    csv << ',' << (record.wall_seconds ? nlohmann::json(*record.wall_seconds).dump() : "") << ','
        << (record.rank ? std::to_string(*record.rank) : "") << ','
        << (record.state == "not run" ? "" : std::to_string(record.exit_status)) << ','
        << csv_field(record.error) << '\n';
  }
  write_text_file(path.string(), csv.str());
}

inline void write_summary_markdown(const std::filesystem::path& path, const Grid& grid,
                                   const Program& program, const std::vector<RunRecord>& records) {
  using summary_internal::markdown_field;
  std::ostringstream md;
  md << "# Sweep of " << program.name << ": " << records.size()
     << (records.size() == 1 ? " run\n\n" : " runs\n\n");
  const auto count = [&](const char* state) {
    return std::count_if(records.begin(), records.end(),
                         [&](const RunRecord& r) { return r.state == state; });
  };
  md << count("done") << " done, " << count("failed") << " failed, " << count("not run")
     << " not run.";
  bool fixed = false;
  for (const Axis& axis : grid.axes)
    if (!axis.swept()) {
      md << (fixed ? ", " : " Every run: ") << axis.name << " = " << axis.values[0];
      fixed = true;
    }
  md << (fixed ? ".\n\n" : "\n\n");
  md << "| run |";
  for (const Axis& axis : grid.axes)
    if (axis.swept()) md << ' ' << axis.name << " |";
  // Only the adding task stops early (the copy task's column would always be empty).
  const bool adding = program.task == "adding";
  md << " state | final train loss | final test loss |"
     << (adding ? " solved at step | stopped early at |" : "")
     << " steps | wall s | error |\n|---|";
  for (const Axis& axis : grid.axes)
    if (axis.swept()) md << "---|";
  md << "---|---|---|" << (adding ? "---|---|" : "") << "---|---|---|\n";
  for (const RunRecord& record : records) {
    md << "| " << markdown_field(record.run->name) << " |";
    for (std::size_t a = 0; a < grid.axes.size(); ++a)
      if (grid.axes[a].swept()) md << ' ' << record.run->parameters[a].second << " |";
    md << ' ' << record.state << " | "
       << summary_internal::short_number(summary_internal::cell(record.results, "final_train_loss"))
       << " | "
       << summary_internal::short_number(summary_internal::cell(record.results, "final_test_loss"))
       << " |";
    if (adding) {
      const std::string solved = summary_internal::cell(record.results, "solved_step");
      md << ' ' << (record.results && solved.empty() ? "not solved" : solved) << " | "
         << summary_internal::cell(record.results, "stopped_early_at") << " |";
    }
    md << ' ' << result_cell(record.results, "steps") << " |";
    char wall[32] = "";
    if (record.wall_seconds) std::snprintf(wall, sizeof wall, "%.1f", *record.wall_seconds);
    md << ' ' << wall << " | " << markdown_field(record.error) << " |\n";
  }
  write_text_file(path.string(), md.str());
}

// One plot: `metric` of every finished run against the value of swept axis `a`. Writes
// <stem>.dat and <stem>.gp in `folder` and runs gnuplot on the script; returns false when gnuplot
// could not draw it (not installed, or it failed), leaving the script to run by hand. No plot
// when no run has the metric (every run failed, or none solved the adding task).
inline bool write_axis_plot(const std::filesystem::path& folder, const Grid& grid, std::size_t a,
                            const std::vector<RunRecord>& records, const char* metric,
                            const std::string& label, const std::string& stem) {
  using summary_internal::gnuplot_string;
  const Axis& axis = grid.axes[a];
  bool numeric = true;
  double smallest = INFINITY, largest = -INFINITY;
  for (const std::string& value : axis.values) {
    const auto x = summary_internal::number(value);
    numeric = numeric && x.has_value();
    if (x) smallest = std::min(smallest, *x), largest = std::max(largest, *x);
  }
  const bool log_x = numeric && smallest > 0 && largest / smallest >= 100;
  std::ostringstream data;
  data.precision(9);
  std::size_t points = 0;
  data << "# " << axis.name << " (" << (numeric ? "value" : "index of the value") << ") " << metric
       << " run\n";
  for (const RunRecord& record : records) {
    const std::string y = summary_internal::cell(record.results, metric);
    const auto value = summary_internal::number(y);
    if (!value || *value <= 0) continue;  // a log scale: no zero, no failed or unsolved run
    const std::string& x_text = record.run->parameters[a].second;
    const std::size_t index = static_cast<std::size_t>(
        std::find(axis.values.begin(), axis.values.end(), x_text) - axis.values.begin());
    data << (numeric ? x_text : std::to_string(index)) << ' ' << *value << ' ' << record.run->name
         << '\n';
    ++points;
  }
  const std::filesystem::path dat = folder / (stem + ".dat"), png = folder / (stem + ".png"),
                              script = folder / (stem + ".gp");
  std::error_code ignored;
  std::filesystem::remove(png, ignored);  // a plot of an earlier start
  if (points == 0) return true;           // no finished run has this metric: nothing to draw
  write_text_file(dat.string(), data.str());
  std::ostringstream gp;
  gp << "set terminal pngcairo size 800,520 noenhanced font ',11'\n"
     << "set output " << gnuplot_string(png.string()) << "\n"
     << "set xlabel " << gnuplot_string(axis.name + (log_x ? " (log scale)" : "")) << "\n"
     << "set ylabel " << gnuplot_string(label + " (log scale)") << "\n"
     << "set title " << gnuplot_string(label + " against " + axis.name + ", one point per run")
     << "\nset logscale y\nset format y '%.0e'\nset grid\nset key off\nset offsets graph 0.05, "
        "graph 0.05, graph 0.05, graph 0.05\n";
  if (log_x) gp << "set logscale x\n";
  if (!numeric) {
    gp << "set xtics (";
    for (std::size_t i = 0; i < axis.values.size(); ++i)
      gp << (i ? ", " : "") << gnuplot_string(axis.values[i]) << ' ' << i;
    gp << ")\n";
  }
  gp << "plot " << gnuplot_string(dat.string()) << " using 1:2 with points pt 7 ps 1.3\n";
  write_text_file(script.string(), gp.str());
  const std::string command =
      "gnuplot " + summary_internal::shell_word(script.string()) + " > /dev/null 2>&1";
  return std::system(command.c_str()) == 0 && std::filesystem::exists(png);
}

// Reads every run's record, writes summary.csv, summary.markdown and the plots; returns the
// records. `plots_drawn` says whether gnuplot drew every plot.
inline std::vector<RunRecord> write_summary(const std::filesystem::path& out, const Grid& grid,
                                            const Program& program, const std::vector<Run>& runs,
                                            bool& plots_drawn) {
  std::vector<RunRecord> records;
  for (const Run& run : runs) records.push_back(read_record(run, RunFiles{out / run.name}));
  write_summary_csv(out / "summary.csv", grid, records);
  write_summary_markdown(out / "summary.markdown", grid, program, records);
  plots_drawn = true;
  const std::filesystem::path plots = out / "plots";
  for (std::size_t a = 0; a < grid.axes.size(); ++a) {
    if (!grid.axes[a].swept()) continue;
    std::filesystem::create_directories(plots);
    const std::string& name = grid.axes[a].name;
    plots_drawn &=
        write_axis_plot(plots, grid, a, records, "final_test_loss", "final test loss", name);
    if (program.task == "adding")
      plots_drawn &= write_axis_plot(plots, grid, a, records, "solved_step", "solved at step",
                                     name + ".solved_step");
  }
  return records;
}

}  // namespace wrnn::examples::sweep

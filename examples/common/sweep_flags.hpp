// From a sweep file's `program` and a run's parameters to the wrnn program that runs it and its
// flags. Parameters have the authors' names (their copy_task.py and adding_task.py; docs/model.md,
// "The authors' flags in wrnn's programs"); a parameter wrnn has no equivalent for is refused by
// name, never dropped. docs/sweeps.md has the table.
#pragma once

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/memory_task.hpp"
#include "common/sweep_grid.hpp"
#include "wrnn/core/error.hpp"

namespace wrnn::examples::sweep {

// A program a sweep can run in-process.
struct Program {
  std::string name;  // copy_task or adding_task (the name errors and logs carry)
  std::string task;  // copy or adding
  int (*main)(int argc, char** argv) = nullptr;
  // The authors' script's defaults for parameters the file does not set, when the file names
  // the authors' script (copy_task.py): a sweep of theirs runs as their script would run it.
  // Empty when the file names wrnn's program (copy_task): then wrnn's defaults apply.
  std::map<std::string, std::string> defaults;
};

// The defaults of the authors' copy_task.py and adding_task.py (their argparse), for the
// parameters that have a wrnn flag.
inline std::map<std::string, std::string> authors_defaults(const std::string& task) {
  std::map<std::string, std::string> defaults = {
      {"model_type", "rnn"}, {"n_hid", "100"},     {"max_steps", "60000"}, {"log_interval", "1000"},
      {"batch", "128"},      {"n_ch", "1"},        {"ksize", "3"},         {"act", "relu"},
      {"init", "eye"},       {"grad_clip", "0.0"}, {"solo_init", "no"}};
  if (task == "copy") {
    defaults.insert({{"T", "500"}, {"batch_test", "50"}, {"lr", "1e-3"}});
  } else {
    defaults.insert({{"T", "400"}, {"batch_test", "1000"}, {"lr", "1e-4"}});
  }
  return defaults;
}

// The program a sweep file's `program` names: wrnn's copy_task or adding_task, or the authors'
// copy_task.py or adding_task.py (with a folder, as W&B may write it: copy/copy_task.py).
inline Program choose_program(const std::string& program) {
  const std::size_t slash = program.find_last_of('/');
  const std::string base = slash == std::string::npos ? program : program.substr(slash + 1);
  const bool authors = base.size() > 3 && base.compare(base.size() - 3, 3, ".py") == 0;
  const std::string stem = authors ? base.substr(0, base.size() - 3) : base;
  Program chosen;
  if (stem == "copy_task") {
    chosen = {"copy_task", "copy", &copy_task_main, {}};
  } else if (stem == "adding_task") {
    chosen = {"adding_task", "adding", &adding_task_main, {}};
  } else {
    throw ValueError(
        "program: expected copy_task or adding_task (or the authors' copy_task.py, "
        "adding_task.py), received '" +
        program + "'");
  }
  if (authors) chosen.defaults = authors_defaults(chosen.task);
  return chosen;
}

namespace flags_internal {

inline ValueError bad_value(const std::string& parameter, const std::string& expected,
                            const std::string& value) {
  return ValueError("parameter '" + parameter + "': expected " + expected + ", received '" + value +
                    "'");
}

inline std::string integer(const std::string& parameter, const std::string& value) {
  const std::size_t first_digit = !value.empty() && value[0] == '-' ? 1 : 0;
  if (value.size() == first_digit ||
      value.find_first_not_of("0123456789", first_digit) != std::string::npos)
    throw bad_value(parameter, "a decimal integer", value);
  return value;
}

inline std::string real(const std::string& parameter, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(number))
    throw bad_value(parameter, "a finite number", value);
  return value;
}

// `value` looked up in `choices` (the authors' spellings and wrnn's own).
inline std::string choice(const std::string& parameter, const std::string& value,
                          const std::map<std::string, std::string>& choices,
                          const std::string& expected) {
  const auto found = choices.find(value);
  if (found == choices.end()) throw bad_value(parameter, expected, value);
  return found->second;
}

// Parameters of the authors' scripts that wrnn's programs do not have, accepted only at the value
// that does what wrnn always does (their default); any other value is refused, saying why.
struct FixedParameter {
  std::vector<std::string> accepted;
  const char* meaning;  // what wrnn always does
};

inline const std::map<std::string, FixedParameter>& fixed_parameters() {
  static const std::map<std::string, FixedParameter> table = {
      {"one_hot", {{"True", "true", "yes"}, "wrnn's copy_task always feeds one-hot symbols"}},
      {"is_sweep",
       {{"yes", "no"}, "W&B's switch for the progress bar; wrnn_sweep writes it to log.txt"}},
  };
  return table;
}

// A decimal integer parameter's value as a number.
inline long long integer_value(const std::string& parameter, const std::string& value) {
  integer(parameter, value);
  errno = 0;
  const long long number = std::strtoll(value.c_str(), nullptr, 10);
  if (errno == ERANGE) throw bad_value(parameter, "an integer of at most 64 bits", value);
  return number;
}

// The authors' early stopping, as their adding_task.py reads it: after each evaluation with no new
// best test loss, at step patience_init or later and once solved, it counts one, and stops at the
// patience-th; patience_init -1 turns it off, and patience then does nothing. That is adding_task's
// --early-stop-from and --early-stop-patience (RunMonitor). Their copy_task.py declares both and
// reads neither: a copy run never stops early, so patience_init is refused there unless -1.
inline std::vector<std::string> early_stopping_flags(const Program& program,
                                                     const std::string& patience_init,
                                                     const std::string* patience) {
  const long long from = integer_value("patience_init", patience_init);
  if (from == -1) return {};
  if (program.task != "adding")
    throw ValueError("parameter 'patience_init': " + program.name +
                     " never stops early (nor does the authors' copy_task.py, which reads neither "
                     "patience_init nor patience); expected -1, received '" +
                     patience_init + "'");
  if (from < 0)
    throw bad_value("patience_init",
                    "-1 (never) or a step >= 0 (the authors' script stops early from the first "
                    "step for any other negative value: give 0)",
                    patience_init);
  std::vector<std::string> flags = {"--early-stop-from", std::to_string(from)};
  if (patience != nullptr) {
    const long long count = integer_value("patience", *patience);
    if (count < 1)
      throw bad_value("patience",
                      "an integer >= 1 (the authors' script stops at the first evaluation "
                      "without a new best for any patience up to 1: give 1)",
                      *patience);
    flags.insert(flags.end(), {"--early-stop-patience", std::to_string(count)});
  }
  return flags;
}

// A yes/no switch of the authors' copy_task.py, read as their utils.str_to_bool reads it: true or
// yes, false or no, in any case.
inline bool authors_switch(const std::string& parameter, const std::string& value) {
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "yes") return true;
  if (lower == "false" || lower == "no") return false;
  throw bad_value(parameter, "True, False, yes or no (any case)", value);
}

// The authors' only_last and mem_len. Their get_batch always writes 10 digits to recall; only_last
// True scores the loss on the last mem_len steps (out[-mem_len:]), and without it mem_len is never
// read. wrnn's --mem-len is the count of digits the generator writes and --only-last scores the
// last --mem-len steps, so the two agree at 10: only_last True is --only-last (and --mem-len 10
// when mem_len is given), and takes mem_len 10 only (at another count theirs scores steps that
// wrnn cannot: part of the recall, or blanks besides it); without only_last, mem_len is any
// integer and changes nothing, as in their script. Both belong to the copy task alone.
inline std::vector<std::string> copy_loss_flags(const Program& program,
                                                const std::string* only_last,
                                                const std::string* mem_len) {
  const char* name = only_last != nullptr ? "only_last" : "mem_len";
  if (program.task != "copy")
    throw ValueError(std::string("parameter '") + name + "': a parameter of the copy task; " +
                     program.name + " has none (nor has the authors' adding_task.py): remove it");
  const bool last_only = only_last != nullptr && authors_switch("only_last", *only_last);
  std::vector<std::string> flags;
  if (mem_len != nullptr) {
    const long long length = integer_value("mem_len", *mem_len);
    if (last_only) {
      if (length != 10)
        throw bad_value("mem_len",
                        "10 with only_last True (the authors' copy_task.py then scores the last "
                        "mem_len steps of sequences that always recall 10 digits; wrnn's "
                        "--mem-len changes the digits recalled)",
                        *mem_len);
      flags = {"--mem-len", "10"};
    }
  }
  if (last_only) flags.push_back("--only-last");
  return flags;
}

}  // namespace flags_internal

// The names a sweep's parameters may have (the authors' script flags wrnn maps, and `seed`).
inline const std::vector<std::string>& known_parameters() {
  static const std::vector<std::string> names = {"model_type",    "n_hid",
                                                 "n_ch",          "ksize",
                                                 "init",          "solo_init",
                                                 "act",           "lr",
                                                 "grad_clip",     "T",
                                                 "max_steps",     "batch",
                                                 "batch_test",    "log_interval",
                                                 "seed",          "dataset",
                                                 "patience",      "mem_len",
                                                 "one_hot",       "only_last",
                                                 "freeze_rnn",    "freeze_encoder",
                                                 "patience_init", "is_sweep"};
  return names;
}

// Refuses, by name, each of the grid's parameters that wrnn cannot run: ValueError saying what it
// is and what to do instead.
inline void check_parameter_names(const Grid& grid) {
  for (const Axis& axis : grid.axes) {
    const std::string& name = axis.name;
    if (name == "run_name")
      throw ValueError(
          "parameter 'run_name': wrnn_sweep names each run from its swept "
          "parameters; remove it");
    if (name == "threads")
      throw ValueError(
          "parameter 'threads': threads do not change a run's result; give "
          "wrnn_sweep --threads N instead");
    bool known = false;
    for (const std::string& k : known_parameters()) known = known || k == name;
    if (!known) {
      std::string list;
      for (const std::string& k : known_parameters()) list += (list.empty() ? "" : ", ") + k;
      throw ValueError("parameter '" + name + "': no wrnn equivalent; expected one of " + list);
    }
  }
}

// The flags for one run of `program` (without --out and --threads): the run's parameters over the
// program's defaults (the authors' script's, when the file names their script). ValueError naming
// the parameter for a value of the wrong kind, one wrnn cannot run, or one the authors' script
// reads as another (patience_init -2 as 0); ranges (a negative learning rate, an even kernel) are
// the program's to check, and a value it refuses fails that run only.
inline std::vector<std::string> program_flags(const Program& program, const Run& run) {
  using namespace flags_internal;
  std::map<std::string, std::string> values = program.defaults;
  for (const auto& [name, value] : run.parameters) values[name] = value;
  const auto get = [&](const std::string& name) -> const std::string* {
    const auto found = values.find(name);
    return found == values.end() ? nullptr : &found->second;
  };

  std::string model = "wave";  // wrnn's default
  if (const std::string* value = get("model_type"))
    model = choice("model_type", *value,
                   {{"wrnn", "wave"}, {"wave", "wave"}, {"rnn", "irnn"}, {"irnn", "irnn"}},
                   "wrnn or rnn (wrnn's wave or irnn)");
  std::vector<std::string> flags = {"--model", model};
  const auto add = [&](const char* flag, const std::string& value) {
    flags.push_back(flag);
    flags.push_back(value);
  };
  for (const auto& [name, value] : values) {
    if (name == "model_type") continue;
    if (name == "n_hid") {
      add("--n", integer(name, value));
    } else if (name == "n_ch") {
      integer(name, value);
      if (model == "wave") {
        add("--channels", value);
      } else if (value != "1") {
        throw ValueError("parameter 'n_ch': the authors' dense RNN with " + value +
                         " channels is one of n_hid x " + value +
                         " units; give n_hid that count and n_ch 1, received n_ch '" + value + "'");
      }
    } else if (name == "ksize") {
      // The dense RNN has no kernel: the authors' rnn_model ignores ksize, and so does irnn.
      if (model == "wave") add("--kernel", integer(name, value));
    } else if (name == "init") {
      add("--init", choice(name, value,
                           {{"fwd", "shift"},
                            {"eye", "identity"},
                            {"rand", "random"},
                            {"shift", "shift"},
                            {"identity", "identity"},
                            {"random", "random"}},
                           "fwd, eye or rand (wrnn's shift, identity, random)"));
    } else if (name == "solo_init") {
      // 'no' is N(0, 0.001^2) in the authors' memory-task scripts, wrnn's normal (docs/model.md).
      add("--v-init", choice(name, value, {{"yes", "solo"}, {"no", "normal"}}, "yes or no"));
    } else if (name == "act") {
      add("--act",
          choice(
              name, value,
              {{"relu", "relu"}, {"tanh", "tanh"}, {"ident", "identity"}, {"identity", "identity"}},
              "relu, tanh or ident"));
    } else if (name == "freeze_rnn" || name == "freeze_encoder") {
      // The authors' yes/no switches; wrnn's flags take no value.
      if (choice(name, value, {{"yes", "yes"}, {"no", "no"}}, "yes or no") == "yes")
        flags.push_back(name == "freeze_rnn" ? "--freeze-rnn" : "--freeze-encoder");
    } else if (name == "lr") {
      add("--lr", real(name, value));
    } else if (name == "grad_clip") {
      add("--grad-clip", real(name, value));
    } else if (name == "T") {
      add("--T", integer(name, value));
    } else if (name == "max_steps") {
      add("--steps", integer(name, value));
    } else if (name == "batch") {
      add("--batch", integer(name, value));
    } else if (name == "batch_test") {
      add("--test-batch", integer(name, value));
    } else if (name == "log_interval") {
      add("--log-every", integer(name, value));
    } else if (name == "seed") {
      add("--seed", integer(name, value));
    } else if (name == "dataset") {
      if (value != program.task)
        throw bad_value(name, "'" + program.task + "' (the task of program " + program.name + ")",
                        value);
    } else if (name == "only_last" || (name == "mem_len" && get("only_last") == nullptr)) {
      const std::vector<std::string> loss =
          copy_loss_flags(program, get("only_last"), get("mem_len"));
      flags.insert(flags.end(), loss.begin(), loss.end());
    } else if (name == "mem_len") {
      // Read with only_last, whose meaning it depends on.
    } else if (name == "patience") {
      integer_value(name, value);  // passed on with patience_init, the only time it acts
    } else if (name == "patience_init") {
      const std::vector<std::string> stopping =
          early_stopping_flags(program, value, get("patience"));
      flags.insert(flags.end(), stopping.begin(), stopping.end());
    } else {
      const auto fixed = fixed_parameters().find(name);
      if (fixed == fixed_parameters().end())
        throw ValueError("parameter '" + name + "': no wrnn equivalent");  // check_parameter_names
      bool accepted = false;
      for (const std::string& a : fixed->second.accepted) accepted = accepted || a == value;
      if (!accepted) {
        std::string list;
        for (const std::string& a : fixed->second.accepted)
          list += (list.empty() ? "" : " or ") + a;
        throw ValueError("parameter '" + name + "': no wrnn equivalent for '" + value + "' (" +
                         fixed->second.meaning + "); expected " + list);
      }
    }
  }
  return flags;
}

}  // namespace wrnn::examples::sweep

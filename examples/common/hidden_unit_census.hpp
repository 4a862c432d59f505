// How many of a trained model's hidden units are in use, for results.json's "hidden_units": a
// unit that stays at exactly 0 over every test sequence is dead weight (an iRNN whose inputs reach
// only one unit is the classic case; docs/model.md, "Defaults").
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "wrnn/analysis/state_recording.hpp"

namespace wrnn::examples {

// After model.forward() on a batch of test sequences: counts the units of the state the readout
// sees (an LSTM's h, not its c) that are non-zero at some step of some of the first `samples`
// sequences.
template <class Model>
nlohmann::json hidden_unit_census(const Model& model, Index samples) {
  const Index units = model.cell().output_size();
  std::vector<char> live;
  Index alive = 0;
  for (Index b = 0; b < samples; ++b)
    alive = analysis::mark_live_units(model.sample_states(b).topRows(units), live);
  return {{"units", units}, {"alive", alive}, {"test_sequences", samples}};
}

}  // namespace wrnn::examples

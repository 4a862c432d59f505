// ParameterList <-> safetensors: names and shapes as PyTorch has them, exact values, and a missing
// tensor, an extra tensor, a wrong shape, an integer tensor or a value that is not finite named
// in the error, with the parameters untouched.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "wrnn/core/parameter.hpp"
#include "wrnn/io/parameters.hpp"
#include "wrnn/io/safetensors.hpp"

namespace test_safetensors_parameters {  // see "unity groups" in tests/CMakeLists.txt

using Catch::Matchers::Contains;
using wrnn::Parameter;
using wrnn::ParameterList;
using wrnn::io::SafetensorsFile;
using wrnn::io::SafetensorsWriter;

namespace {

// Two small modules the way a wave-RNN model names them: cell.Wx.{weight,bias}, readout.weight.
struct ToyModel {
  Parameter<float> wx_weight{"weight", {6, 2}, false};
  Parameter<float> wx_bias{"bias", {6}, true};
  Parameter<float> readout_weight{"weight", {3, 6}, false};

  ParameterList<float> parameters() {
    ParameterList<float> list;
    wrnn::append_prefixed(list, "cell.Wx", {&wx_weight, &wx_bias});
    wrnn::append_prefixed(list, "readout", {&readout_weight});
    return list;
  }

  void fill(float start) {
    float value = start;
    for (auto& named : parameters())
      for (wrnn::Index i = 0; i < named.parameter->size(); ++i)
        named.parameter->value[i] = (value += 0.25f);
  }
};

SafetensorsFile round_trip(SafetensorsWriter& writer) {
  const std::vector<unsigned char> bytes = writer.serialize();
  return SafetensorsFile::parse(bytes.data(), bytes.size(), "toy.safetensors");
}

}  // namespace

TEST_CASE("parameters are saved under their full names and load back exactly") {
  ToyModel saved, loaded;
  saved.fill(1.0f);
  SafetensorsWriter writer;
  wrnn::io::add_parameters(writer, saved.parameters());
  const SafetensorsFile file = round_trip(writer);
  CHECK(file.names() ==
        std::vector<std::string>{"cell.Wx.bias", "cell.Wx.weight", "readout.weight"});
  CHECK(file.shape("cell.Wx.weight") == std::vector<std::int64_t>{6, 2});
  // Row-major as in PyTorch: element [1][0] of Wx.weight is the third value.
  CHECK(file.get<float>("cell.Wx.weight")[2] == saved.wx_weight.value[2]);

  wrnn::io::load_parameters(file, loaded.parameters());
  CHECK(loaded.wx_weight.value == saved.wx_weight.value);
  CHECK(loaded.wx_bias.value == saved.wx_bias.value);
  CHECK(loaded.readout_weight.value == saved.readout_weight.value);
}

TEST_CASE("a prefix keeps several parameter lists apart in one file") {
  ToyModel model, moments, loaded_model, loaded_moments;
  model.fill(1.0f);
  moments.fill(-5.0f);
  SafetensorsWriter writer;
  wrnn::io::add_parameters(writer, model.parameters());
  wrnn::io::add_parameters(writer, moments.parameters(), "optimizer.m.");
  const SafetensorsFile file = round_trip(writer);
  wrnn::io::load_parameters(file, loaded_moments.parameters(), "optimizer.m.");
  CHECK(loaded_moments.readout_weight.value == moments.readout_weight.value);
  // Without a prefix every tensor of the file must be a model parameter.
  CHECK_THROWS_WITH(wrnn::io::load_parameters(file, loaded_model.parameters()),
                    Contains("unexpected tensor 'optimizer.m.cell.Wx.bias'"));
}

TEST_CASE("missing, extra and misshapen tensors are named and leave the parameters untouched") {
  ToyModel saved, target;
  saved.fill(1.0f);
  target.fill(100.0f);
  const ToyModel before = target;

  SafetensorsWriter missing;
  wrnn::io::add_parameters(missing, saved.parameters());
  ParameterList<float> with_extra = target.parameters();
  Parameter<float> extra{"weight", {2}, false};
  with_extra.push_back({"cell.Wy.weight", &extra});
  CHECK_THROWS_AS(wrnn::io::load_parameters(round_trip(missing), with_extra), wrnn::FormatError);
  CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(missing), with_extra),
                    Contains("missing tensor 'cell.Wy.weight'") && Contains("toy.safetensors"));

  SafetensorsWriter extra_tensor;
  wrnn::io::add_parameters(extra_tensor, saved.parameters());
  const float one = 1.0f;
  extra_tensor.add("cell.Wy.weight", {1}, &one);
  CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(extra_tensor), target.parameters()),
                    Contains("unexpected tensor 'cell.Wy.weight'"));

  SafetensorsWriter wrong_shape;
  Parameter<float> transposed{"weight", {2, 6}, false};
  ParameterList<float> wrong = saved.parameters();
  wrong[0].parameter = &transposed;
  wrnn::io::add_parameters(wrong_shape, wrong);
  CHECK_THROWS_AS(wrnn::io::load_parameters(round_trip(wrong_shape), target.parameters()),
                  wrnn::ShapeError);
  CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(wrong_shape), target.parameters()),
                    Contains("tensor 'cell.Wx.weight': expected shape [6, 2], received [2, 6]"));

  CHECK(target.wx_weight.value == before.wx_weight.value);
  CHECK(target.wx_bias.value == before.wx_bias.value);
  CHECK(target.readout_weight.value == before.readout_weight.value);
}

TEST_CASE("an integer tensor or a value that is not finite is refused, naming tensor and element") {
  ToyModel saved, target;
  saved.fill(1.0f);
  target.fill(100.0f);
  const ToyModel before = target;

  // The readout saved as I64 (the right shape and small values that would convert exactly).
  SafetensorsWriter integers;
  wrnn::io::add_parameters(integers, ParameterList<float>{{"cell.Wx.weight", &saved.wx_weight},
                                                          {"cell.Wx.bias", &saved.wx_bias}});
  integers.add("readout.weight", {3, 6}, std::vector<std::int64_t>(18, 1));
  CHECK_THROWS_AS(wrnn::io::load_parameters(round_trip(integers), target.parameters()),
                  wrnn::FormatError);
  CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(integers), target.parameters()),
                    Contains("tensor 'readout.weight' holds I64 values, expected F32"));

  const float bad_values[] = {std::nanf(""), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  const char* bad_text[] = {"is nan", "is inf", "is -inf"};
  for (int k = 0; k < 3; ++k) {
    ToyModel damaged = saved;
    damaged.wx_bias.value[4] = bad_values[k];
    damaged.wx_bias.value[5] = bad_values[k];  // only the first bad element is named
    SafetensorsWriter writer;
    wrnn::io::add_parameters(writer, damaged.parameters());
    CHECK_THROWS_AS(wrnn::io::load_parameters(round_trip(writer), target.parameters()),
                    wrnn::NumericalError);
    CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(writer), target.parameters()),
                      Contains("toy.safetensors") && Contains("tensor 'cell.Wx.bias'") &&
                          Contains(std::string("element 4 of 6 ") + bad_text[k]));
  }
  // An F64 value beyond float's range becomes inf in a float model: refused too.
  Parameter<double> huge{"weight", {3, 6}, false};
  huge.value.setConstant(1.0);
  huge.value[7] = 1e300;
  SafetensorsWriter overflow;
  wrnn::io::add_parameters(overflow, ParameterList<float>{{"cell.Wx.weight", &saved.wx_weight},
                                                          {"cell.Wx.bias", &saved.wx_bias}});
  wrnn::io::add_parameters(overflow, ParameterList<double>{{"readout.weight", &huge}});
  CHECK_THROWS_WITH(wrnn::io::load_parameters(round_trip(overflow), target.parameters()),
                    Contains("tensor 'readout.weight': element 7 of 18 is inf (as F32)"));

  CHECK(target.wx_weight.value == before.wx_weight.value);
  CHECK(target.wx_bias.value == before.wx_bias.value);
  CHECK(target.readout_weight.value == before.readout_weight.value);
}

TEST_CASE("double parameters load from an F32 file and float ones from F64") {
  Parameter<double> weight{"weight", {2, 2}, false};
  weight.value << 0.1, -0.2, 0.3, 1e-300;
  ParameterList<double> list{{"readout.weight", &weight}};
  SafetensorsWriter writer;
  wrnn::io::add_parameters(writer, list);
  const SafetensorsFile file = round_trip(writer);
  CHECK(file.info("readout.weight").dtype == wrnn::io::Dtype::F64);
  Parameter<float> as_float{"weight", {2, 2}, false};
  wrnn::io::load_parameters(file, ParameterList<float>{{"readout.weight", &as_float}});
  CHECK(as_float.value[0] == 0.1f);
  CHECK(as_float.value[3] == static_cast<float>(1e-300));
}

}  // namespace test_safetensors_parameters

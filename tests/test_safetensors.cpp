// Safetensors reading and writing: a reference file built by Python's struct/json/numpy
// (tests/data/safetensors/make_reference.py), round trips, the writer's layout, conversions, and
// every kind of corrupt header, each of which must raise FormatError naming the file, the tensor
// and the problem.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/io/safetensors.hpp"

namespace test_safetensors {  // see "unity groups" in tests/CMakeLists.txt

using Catch::Matchers::Contains;
using wrnn::io::Dtype;
using wrnn::io::SafetensorsFile;
using wrnn::io::SafetensorsWriter;

namespace {

using Bytes = std::vector<unsigned char>;

const std::string kReferencePath =
    std::string(WRNN_TEST_DATA_DIR) + "/safetensors/reference.safetensors";

// A file from a header text and a data buffer, the length field computed.
Bytes make_file(const std::string& header, const Bytes& buffer) {
  Bytes file;
  const std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<unsigned char>(length >> (8 * i)));
  file.insert(file.end(), header.begin(), header.end());
  file.insert(file.end(), buffer.begin(), buffer.end());
  return file;
}

SafetensorsFile parse(const Bytes& file) {
  return SafetensorsFile::parse(file.data(), file.size(), "bad.safetensors");
}

// The message of the FormatError that parsing `file` raises (the test fails if it raises none).
std::string format_error(const Bytes& file) {
  try {
    parse(file);
  } catch (const wrnn::FormatError& error) {
    return error.what();
  }
  FAIL("expected a FormatError");
  return "";
}

std::string temp_path(const std::string& stem) {
  return "/tmp/wrnn_test_safetensors_" + stem + ".safetensors";
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace

TEST_CASE("reads a file written by Python's struct, json and numpy") {
  const SafetensorsFile file = SafetensorsFile::read(kReferencePath);
  CHECK(file.names() == std::vector<std::string>{"a_f32_matrix", "b_f16_values", "c_f64_vector",
                                                 "d_bf16_values", "e_i32_vector", "f_i64_scalar",
                                                 "g_empty", "h_u8_mask"});
  CHECK(file.metadata_value("format") == "pt");
  CHECK(file.metadata().size() == 2);

  std::vector<std::int64_t> shape;
  CHECK(file.get<float>("a_f32_matrix", &shape) ==
        std::vector<float>{-0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f});
  CHECK(shape == std::vector<std::int64_t>{2, 3});

  const std::vector<double> f16 = file.get<double>("b_f16_values");
  const std::vector<double> f16_expected = {
      1.0, -2.0, 65504.0, 0x1.0p-14, 0x1.0p-24, 1023 * 0x1.0p-24, -0.0};
  for (std::size_t i = 0; i < f16_expected.size(); ++i) CHECK(same_bits(f16[i], f16_expected[i]));
  CHECK(f16[7] == std::numeric_limits<double>::infinity());
  CHECK(f16[8] == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(f16[9]));
  CHECK(f16[10] == 0.0999755859375);

  // F64, not 8-byte aligned in this file (it follows 46 bytes of F32 and F16).
  CHECK(file.info("c_f64_vector").begin == 46);
  const std::vector<double> f64 = file.get<double>("c_f64_vector");
  CHECK(f64 == std::vector<double>{1.0 / 3.0, -1e300, 5e-324, 3.141592653589793});
  const std::vector<float> f64_as_float = file.get<float>("c_f64_vector");
  CHECK(f64_as_float[0] == static_cast<float>(1.0 / 3.0));
  CHECK(f64_as_float[1] == -std::numeric_limits<float>::infinity());  // beyond float's range
  CHECK(f64_as_float[2] == 0.0f);

  CHECK(file.get<float>("d_bf16_values", &shape) ==
        std::vector<float>{1.0f, -3.140625f, 0x1.0p-133f, std::numeric_limits<float>::infinity(),
                           0x1.FEp127f, 0x1.0p-126f});
  CHECK(shape == std::vector<std::int64_t>{2, 3});

  CHECK(file.get<std::int32_t>("e_i32_vector") ==
        std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(), 0,
                                  std::numeric_limits<std::int32_t>::max()});
  CHECK(file.get<std::int64_t>("f_i64_scalar", &shape) == std::vector<std::int64_t>{123456789012});
  CHECK(shape.empty());
  CHECK(file.get<double>("f_i64_scalar") == std::vector<double>{123456789012.0});

  CHECK(file.get<float>("g_empty", &shape).empty());
  CHECK(shape == std::vector<std::int64_t>{0, 3});

  CHECK(file.get<int>("h_u8_mask") == std::vector<int>{0, 1, 254, 255});
  const wrnn::io::TensorData raw = file.raw("h_u8_mask");
  CHECK(raw.dtype == Dtype::U8);
  CHECK(raw.bytes == Bytes{0, 1, 254, 255});
}

TEST_CASE("conversions refuse values the target type cannot hold") {
  const SafetensorsFile file = SafetensorsFile::read(kReferencePath);
  CHECK_THROWS_WITH(file.get<std::int8_t>("h_u8_mask"),
                    Contains("'h_u8_mask'") && Contains("element 2 is 254"));
  CHECK_THROWS_WITH(file.get<std::uint32_t>("e_i32_vector"),
                    Contains("'e_i32_vector'") && Contains("element 0 is -2147483648"));
  CHECK_THROWS_AS(file.get<std::int64_t>("a_f32_matrix"), wrnn::FormatError);
  CHECK_THROWS_WITH(file.get<std::int64_t>("a_f32_matrix"),
                    Contains("'a_f32_matrix'") && Contains("F32"));
}

TEST_CASE("asking for a missing tensor or metadata key names it") {
  const SafetensorsFile file = SafetensorsFile::read(kReferencePath);
  CHECK_FALSE(file.contains("cell.Wx.weight"));
  CHECK_THROWS_AS(file.get<float>("cell.Wx.weight"), wrnn::FormatError);
  CHECK_THROWS_WITH(file.get<float>("cell.Wx.weight"), Contains("no tensor 'cell.Wx.weight'") &&
                                                           Contains("reference.safetensors") &&
                                                           Contains("'a_f32_matrix'"));
  CHECK_THROWS_WITH(file.metadata_value("cell"), Contains("no metadata entry 'cell'"));
  CHECK_THROWS_WITH(SafetensorsFile::read("/nonexistent/model.safetensors"),
                    Contains("/nonexistent/model.safetensors") && Contains("cannot open"));
  CHECK_THROWS_WITH(SafetensorsFile::read("/tmp"), Contains("'/tmp'") && Contains("a folder"));
}

TEST_CASE("copy_to checks the shape and names the tensor") {
  const SafetensorsFile file = SafetensorsFile::read(kReferencePath);
  std::vector<double> destination(6, 7.0);
  file.copy_to("a_f32_matrix", {2, 3}, destination.data());
  CHECK(destination == std::vector<double>{-0.5, -0.25, 0.0, 0.25, 0.5, 0.75});
  CHECK_THROWS_AS(file.copy_to("a_f32_matrix", {3, 2}, destination.data()), wrnn::ShapeError);
  CHECK_THROWS_WITH(file.copy_to("a_f32_matrix", {3, 2}, destination.data()),
                    Contains("'a_f32_matrix'") && Contains("expected shape [3, 2]") &&
                        Contains("received [2, 3]"));
  CHECK_THROWS_WITH(wrnn::io::require_shape("readout.weight", {10, 256}, {10}),
                    Contains("tensor 'readout.weight': expected shape [10, 256], received [10]"));
}

TEST_CASE("F32, F64, I32 and I64 round trip with metadata") {
  const std::vector<float> weight = {1.5f,
                                     -0.0f,
                                     std::numeric_limits<float>::denorm_min(),
                                     std::numeric_limits<float>::max(),
                                     -std::numeric_limits<float>::infinity(),
                                     0.1f};
  const std::vector<double> bias = {0.1, -1e-310, std::numeric_limits<double>::lowest()};
  const std::vector<std::int32_t> permutation = {2, 0, 1};
  const std::int64_t step = -9000000000;

  SafetensorsWriter writer;
  writer.add("cell.Wx.weight", {2, 3}, weight);
  writer.add("cell.Wx.bias", {3}, bias.data());
  writer.add("permutation", {3}, permutation);
  writer.add("step", {}, &step);
  writer.set_metadata("cell", "wave");
  writer.set_metadata("activation", "tanh");
  writer.set_metadata("cell", "wave2");  // replaces
  const std::string path = temp_path("round_trip");
  writer.write(path);

  const SafetensorsFile file = SafetensorsFile::read(path);
  std::remove(path.c_str());
  CHECK(file.names() ==
        std::vector<std::string>{"cell.Wx.bias", "cell.Wx.weight", "permutation", "step"});
  CHECK(file.metadata() ==
        std::map<std::string, std::string>{{"activation", "tanh"}, {"cell", "wave2"}});
  const std::vector<float> weight_back = file.get<float>("cell.Wx.weight");
  REQUIRE(weight_back.size() == weight.size());
  for (std::size_t i = 0; i < weight.size(); ++i)
    CHECK(std::memcmp(&weight_back[i], &weight[i], sizeof(float)) == 0);  // bit for bit, -0 too
  CHECK(file.info("cell.Wx.weight").dtype == Dtype::F32);
  CHECK(file.info("cell.Wx.bias").dtype == Dtype::F64);
  CHECK(file.get<double>("cell.Wx.bias") == bias);
  CHECK(file.get<std::int32_t>("permutation") == permutation);
  CHECK(file.get<std::int64_t>("step") == std::vector<std::int64_t>{step});
  CHECK(file.shape("step").empty());
}

TEST_CASE("the writer's layout: widest dtype first, then by name; header padded to 8 bytes") {
  const float f[1] = {1.0f};
  const double d[3] = {1.0, 2.0, 3.0};
  const std::int32_t i[1] = {5};
  SafetensorsWriter first, second;
  first.add("z", {1}, f);
  first.add("a", {1}, f);
  first.add("m", {3}, d);
  first.add("i", {1}, i);
  first.set_metadata("k", "v");
  second.add("i", {1}, i);
  second.add("m", {3}, d);
  second.set_metadata("k", "v");
  second.add("a", {1}, f);
  second.add("z", {1}, f);
  const Bytes bytes = first.serialize();
  CHECK(bytes == second.serialize());  // independent of the order of add() calls

  std::uint64_t header_length = 0;
  for (int k = 7; k >= 0; --k) header_length = (header_length << 8) | bytes[k];
  CHECK(header_length % 8 == 0);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + header_length);
  CHECK(header ==
        R"({"__metadata__":{"k":"v"},"m":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},)"
        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},)"
        R"("z":{"dtype":"F32","shape":[1],"data_offsets":[28,32]},)"
        R"("i":{"dtype":"I32","shape":[1],"data_offsets":[32,36]}}   )");
  CHECK(bytes.size() == 8 + header_length + 36);
}

TEST_CASE("a file with no tensors and no metadata is valid") {
  const Bytes bytes = SafetensorsWriter().serialize();
  CHECK(std::string(bytes.begin() + 8, bytes.end()) == "{}      ");
  CHECK(parse(bytes).size() == 0);
}

TEST_CASE("the writer refuses bad names and sizes") {
  const float f[4] = {};
  SafetensorsWriter writer;
  writer.add("w", {2, 2}, f);
  CHECK_THROWS_WITH(writer.add("w", {2, 2}, f), Contains("'w' was added twice"));
  CHECK_THROWS_AS(writer.add("__metadata__", {1}, f), wrnn::ValueError);
  CHECK_THROWS_WITH(writer.add("v", {2, -1}, f), Contains("'v'") && Contains("[2, -1]"));
  CHECK_THROWS_AS(writer.add("v", {3}, std::vector<float>{1, 2}), wrnn::ShapeError);
  CHECK_THROWS_AS(writer.add_raw("h", Dtype::F16, {3}, Bytes(5)), wrnn::ValueError);
  SafetensorsWriter bad_utf8;
  bad_utf8.add("bad\xff", {1}, f);
  CHECK_THROWS_AS(bad_utf8.serialize(), wrnn::ValueError);
}

TEST_CASE("the writer refuses a header larger than readers accept, and no more") {
  // The reader refuses a header length > kMaxSafetensorsHeaderBytes (tested with the corrupt
  // files below); the writer's rule is the same.
  const std::uint64_t limit = wrnn::io::kMaxSafetensorsHeaderBytes;
  CHECK_NOTHROW(wrnn::io::detail::require_header_size(limit));
  CHECK_THROWS_AS(wrnn::io::detail::require_header_size(limit + 1), wrnn::FormatError);
  // {"__metadata__":{"k":"<value>"}} is 25 bytes besides the value: one byte over the limit,
  // padded to 100000008.
  SafetensorsWriter over_limit;
  over_limit.set_metadata("k", std::string(limit - 24, 'x'));
  const std::string path = "wrnn_test_safetensors_header_limit.safetensors";
  std::string message;
  try {
    over_limit.write(path);
  } catch (const wrnn::FormatError& error) {
    message = error.what();
  }
  CHECK_THAT(message, Contains("100000008 bytes") && Contains("more than the 100000000"));
  CHECK(std::fopen(path.c_str(), "rb") == nullptr);  // nothing written
}

TEST_CASE("read refuses a device (which never ends) and a folder, naming the path") {
  CHECK_THROWS_WITH(SafetensorsFile::read("/dev/zero"),
                    Contains("'/dev/zero'") && Contains("expected a file, received a device"));
  CHECK_THROWS_WITH(SafetensorsFile::read("/"),
                    Contains("'/'") && Contains("expected a file, received a folder"));
}

TEST_CASE("add_raw stores F16 bytes that read back converted") {
  SafetensorsWriter writer;
  writer.add_raw("h", Dtype::F16, {2}, Bytes{0x00, 0x3C, 0x01, 0x80});  // 1.0, -2^-24
  const SafetensorsFile file = parse(writer.serialize());
  CHECK(file.get<float>("h") == std::vector<float>{1.0f, -0x1.0p-24f});
}

// ---- corrupt files: FormatError naming the file, the tensor and the problem ----

TEST_CASE("too short for the length field, or a length beyond the file or the limit") {
  CHECK_THAT(format_error(Bytes{1, 2, 3, 4, 5}), Contains("bad.safetensors") &&
                                                     Contains("at least 8 bytes") &&
                                                     Contains("received a file of 5 bytes"));
  Bytes too_long = make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Bytes(4));
  too_long[0] = static_cast<unsigned char>(too_long[0] + 5);
  CHECK_THAT(format_error(too_long), Contains("header length is") && Contains("only"));
  Bytes huge = make_file("{}", {});
  huge[5] = 1;  // 2^40 bytes
  CHECK_THAT(format_error(huge), Contains("more than the limit"));
  Bytes all_ones(16, 0xFF);
  CHECK_THAT(format_error(all_ones), Contains("header length is 18446744073709551615"));
}

TEST_CASE("a truncated data buffer names the tensor that runs past it") {
  Bytes file = make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", Bytes(8));
  CHECK_NOTHROW(parse(file));
  file.pop_back();
  CHECK_THAT(format_error(file),
             Contains("tensor 'w'") && Contains("run past the end") && Contains("(7 bytes)"));
}

TEST_CASE("a header that is not JSON, or not an object") {
  CHECK_THAT(format_error(make_file(R"({"w": {"dtype": )", {})), Contains("not valid JSON"));
  CHECK_THAT(format_error(make_file("[1, 2]", {})),
             Contains("expected the header to be a JSON object, received a JSON array"));
  CHECK_THAT(format_error(make_file("{\"w\xff\": 1}", {})), Contains("not valid JSON"));
  CHECK_THAT(format_error(make_file("{} x", {})), Contains("not valid JSON"));
  CHECK_THAT(format_error(make_file(std::string("{}\0", 3), {})),
             Contains("not valid JSON") && Contains("NUL byte at header offset 2"));
  CHECK_THAT(format_error(make_file(std::string("{}\0{\"hidden\":1}", 15), {})),
             Contains("not valid JSON"));
  CHECK_THAT(format_error(make_file(R"({"w":{"dtype":"F32","shape":[[[1]]],"data_offsets":[0,4]}})",
                                    Bytes(4))),
             Contains("nests 5 levels deep"));
}

TEST_CASE("a tensor entry with a missing, extra or repeated field") {
  CHECK_THAT(format_error(make_file(R"({"w":{"dtype":"F32","shape":[1]}})", {})),
             Contains("tensor 'w'") && Contains("missing field 'data_offsets'"));
  CHECK_THAT(
      format_error(make_file(
          R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}})", Bytes(4))),
      Contains("tensor 'w'") && Contains("unexpected field 'stride'"));
  CHECK_THAT(format_error(make_file(R"({"w":[1]})", {})),
             Contains("tensor 'w'") && Contains("received a JSON array"));
  CHECK_THAT(format_error(make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                    R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                    Bytes(8))),
             Contains("repeats the key 'w'"));
}

TEST_CASE("an unknown dtype names the tensor and the dtype") {
  CHECK_THAT(format_error(
                 make_file(R"({"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})", Bytes(4))),
             Contains("tensor 'w'") && Contains("unknown dtype 'F31'") && Contains("BF16"));
  CHECK_THAT(
      format_error(make_file(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", Bytes(4))),
      Contains("tensor 'w'") && Contains("expected dtype to be a string"));
}

TEST_CASE("a bad shape names the tensor and the offending extent") {
  const auto file_with_shape = [](const std::string& shape) {
    return make_file(R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})",
                     Bytes(4));
  };
  CHECK_THAT(format_error(file_with_shape("[1, -2]")),
             Contains("tensor 'w'") && Contains("shape[1] to be a non-negative integer") &&
                 Contains("received -2"));
  CHECK_THAT(format_error(file_with_shape("[1.0]")),
             Contains("tensor 'w'") && Contains("shape[0]") && Contains("number"));
  CHECK_THAT(format_error(file_with_shape("\"1\"")),
             Contains("tensor 'w'") && Contains("expected shape to be an array"));
  CHECK_THAT(format_error(file_with_shape("[0, 9223372036854775808]")),
             Contains("tensor 'w'") && Contains("9223372036854775808"));
  CHECK_THAT(format_error(file_with_shape("[4294967296, 4294967296]")),
             Contains("tensor 'w'") && Contains("more elements than 64 bits"));
  CHECK_THAT(format_error(file_with_shape("[4611686018427387904]")),
             Contains("tensor 'w'") && Contains("more bytes than 64 bits"));
}

TEST_CASE("a byte range that does not match shape x dtype size names both") {
  CHECK_THAT(format_error(make_file(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                                    Bytes(12))),
             Contains("tensor 'w'") && Contains("shape [2, 2] of F32") &&
                 Contains("needs 16 bytes") && Contains("[0, 12] hold 12"));
}

TEST_CASE("bad data_offsets name the tensor") {
  const auto file_with_offsets = [](const std::string& offsets, std::size_t buffer) {
    return make_file(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":)" + offsets + "}}",
                     Bytes(buffer));
  };
  CHECK_THAT(
      format_error(file_with_offsets("[100, 104]", 4)),
      Contains("tensor 'w'") && Contains("[100, 104] run past the end") && Contains("(4 bytes)"));
  CHECK_THAT(format_error(file_with_offsets("[18446744073709551615, 3]", 4)),
             Contains("tensor 'w'") && Contains("expected begin <= end"));
  CHECK_THAT(format_error(file_with_offsets("[0, 4, 8]", 4)),
             Contains("tensor 'w'") && Contains("two integers"));
  CHECK_THAT(format_error(file_with_offsets("[-1, 3]", 4)),
             Contains("tensor 'w'") && Contains("data_offsets[0]"));
}

TEST_CASE("overlapping ranges, gaps and unused trailing bytes name the tensors") {
  CHECK_THAT(format_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                    Bytes(12))),
             Contains("tensor 'b'") && Contains("overlap") && Contains("tensor 'a'"));
  CHECK_THAT(format_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                    Bytes(8))),
             Contains("overlap"));
  CHECK_THAT(format_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                    Bytes(12))),
             Contains("tensor 'b'") && Contains("leave bytes [4, 8)") && Contains("unused"));
  CHECK_THAT(format_error(
                 make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Bytes(6))),
             Contains("has 6 bytes but the tensors cover only [0, 4)") && Contains("'a'"));
  CHECK_THAT(format_error(make_file("{}", Bytes(1))), Contains("has 1 bytes"));
}

TEST_CASE("metadata must be an object of strings") {
  CHECK_THAT(format_error(make_file(R"({"__metadata__":{"format":"pt","epochs":3}})", {})),
             Contains("metadata entry 'epochs'") && Contains("expected a string value") &&
                 Contains("received a JSON number (3)"));
  CHECK_THAT(format_error(make_file(R"({"__metadata__":["pt"]})", {})),
             Contains("\"__metadata__\"") && Contains("received a JSON array"));
  CHECK_THAT(format_error(make_file(R"({"__metadata__":{"a":"x","a":"y"}})", {})),
             Contains("repeats the key 'a'"));
}

TEST_CASE("BOOL tensors hold only 0 and 1") {
  const Bytes file =
      make_file(R"({"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", Bytes{1, 0, 2});
  const SafetensorsFile parsed = parse(file);
  CHECK_THROWS_WITH(parsed.get<float>("mask"),
                    Contains("tensor 'mask'") && Contains("BOOL element 2 is 2"));
}

TEST_CASE("8-bit float tensors parse but are not converted") {
  const SafetensorsFile parsed = parse(
      make_file(R"({"q":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", Bytes{1, 2}));
  CHECK(parsed.raw("q").bytes == Bytes{1, 2});
  CHECK_THROWS_WITH(parsed.get<float>("q"), Contains("tensor 'q'") && Contains("not supported"));
}

TEST_CASE("random collections of tensors survive a write and a read unchanged") {
  wrnn::Rng rng(20241201);
  for (int trial = 0; trial < 50; ++trial) {
    SafetensorsWriter writer;
    std::map<std::string, std::vector<double>> doubles;
    std::map<std::string, std::vector<std::int64_t>> integers;
    std::map<std::string, std::vector<std::int64_t>> shapes;
    const int tensor_count = static_cast<int>(rng.uniform_int(0, 6));
    for (int t = 0; t < tensor_count; ++t) {
      const std::string name =
          "t" + std::to_string(rng.uniform_int(0, 1000)) + "." + std::to_string(t);
      std::vector<std::int64_t> shape(static_cast<std::size_t>(rng.uniform_int(0, 4)));
      std::size_t count = 1;
      for (auto& extent : shape) count *= static_cast<std::size_t>(extent = rng.uniform_int(0, 5));
      shapes[name] = shape;
      switch (rng.uniform_int(0, 4)) {
        case 0: {
          std::vector<float> values(count);
          for (auto& v : values) v = static_cast<float>(rng.normal());
          writer.add(name, shape, values);
          doubles[name].assign(values.begin(), values.end());
          break;
        }
        case 1: {
          std::vector<double> values(count);
          for (auto& v : values) v = rng.normal() * 1e100;
          writer.add(name, shape, values);
          doubles[name] = values;
          break;
        }
        case 2: {
          std::vector<std::int32_t> values(count);
          for (auto& v : values) v = static_cast<std::int32_t>(rng.uniform_int(-1000000, 1000000));
          writer.add(name, shape, values);
          integers[name].assign(values.begin(), values.end());
          break;
        }
        default: {
          std::vector<std::int64_t> values(count);
          for (auto& v : values)
            v = rng.uniform_int(-(std::int64_t{1} << 61), std::int64_t{1} << 61);
          writer.add(name, shape, values);
          integers[name] = values;
        }
      }
    }
    writer.set_metadata("trial", std::to_string(trial));
    const Bytes bytes = writer.serialize();
    const SafetensorsFile file = parse(bytes);
    CHECK(file.size() == shapes.size());
    CHECK(file.metadata_value("trial") == std::to_string(trial));
    for (const auto& [name, values] : doubles) CHECK(file.get<double>(name) == values);
    for (const auto& [name, values] : integers) CHECK(file.get<std::int64_t>(name) == values);
    for (const auto& [name, shape] : shapes) CHECK(file.shape(name) == shape);
    // Every tensor starts at a multiple of its element size.
    for (const auto& [name, shape] : shapes)
      CHECK(file.info(name).begin % wrnn::io::dtype_size(file.info(name).dtype) == 0);
  }
}

}  // namespace test_safetensors

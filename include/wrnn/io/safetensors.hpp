/// \file
/// Safetensors files: SafetensorsFile (read, validate, convert) and SafetensorsWriter (atomic).
/// Needs nlohmann-json: link wrnn::io.
#pragma once

#include "wrnn/io/atomic_file.hpp"
#include "wrnn/io/dtype.hpp"
#include "wrnn/io/half.hpp"
#include "wrnn/io/safetensors_reader.hpp"
#include "wrnn/io/safetensors_writer.hpp"

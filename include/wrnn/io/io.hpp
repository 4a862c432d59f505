/// \file
/// Everything of wrnn::io: safetensors files, whole-model files and training checkpoints. Needs
/// nlohmann-json: link wrnn::io.
#pragma once

#include "wrnn/io/any_model.hpp"
#include "wrnn/io/checkpoint.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/io/parameters.hpp"
#include "wrnn/io/safetensors.hpp"

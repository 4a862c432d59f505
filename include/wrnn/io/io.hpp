/// \file
/// wrnn::io: safetensors files, whole-model files and training checkpoints. Needs nlohmann-json:
/// link wrnn::io. io::load_model(path), which loads a model of any cell type as an AnyModel, is in
/// wrnn/io/any_model.hpp: it instantiates all four cells' models, which every program including
/// this header would otherwise compile.
#pragma once

#include "wrnn/io/checkpoint.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/io/parameters.hpp"
#include "wrnn/io/safetensors.hpp"

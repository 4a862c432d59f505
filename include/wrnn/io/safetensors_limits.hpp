/// \file
/// The limits of the safetensors format that the reader and the writer share, so that every file
/// the writer produces is one the reader (and the reference implementation) accepts.
#pragma once

#include <cstdint>

namespace wrnn::io {

/// The largest header accepted, as in the reference implementation (huggingface/safetensors). The
/// writer refuses to produce a larger one: data that grows with a run belongs in a tensor, not in
/// the header's metadata.
constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100000000;

}  // namespace wrnn::io

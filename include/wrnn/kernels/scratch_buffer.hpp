/// \file
/// A grow-only, 64-byte aligned scratch buffer for the SIMD kernels (ScratchBuffer).
#pragma once

#include <memory>
#include <new>

#include "wrnn/core/types.hpp"

namespace wrnn {

/// A grow-only, 64-byte aligned scratch buffer for the SIMD kernels (padded rings, packed
/// samples, transformed tiles): after the first call for the largest shape it has seen, a kernel
/// call allocates nothing. A caller that must never allocate (the streaming step) owns one and
/// reserves the kernel's scratch size once; every other caller uses thread_scratch(), one buffer
/// per thread and scalar type, so kernels running on several threads never share one.
template <class Scalar>
class ScratchBuffer {
 public:
  /// Bytes: one cache line, the widest SIMD register.
  static constexpr std::size_t alignment = 64;

  /// An empty buffer; the first data() or reserve() allocates.
  ScratchBuffer() = default;
  /// A buffer with room for `size` scalars.
  explicit ScratchBuffer(Index size) { reserve(size); }

  /// Makes room for at least `size` scalars; keeps the old block when it is large enough.
  /// The contents are not preserved across a reallocation (kernels rewrite what they use).
  void reserve(Index size) {
    if (size <= capacity_) return;
    // Aligned operator new (not aligned_alloc), so allocation-counting tests see it.
    data_.reset(static_cast<Scalar*>(::operator new (
        static_cast<std::size_t>(size) * sizeof(Scalar), std::align_val_t{alignment})));
    capacity_ = size;
  }

  /// At least `size` scalars, aligned to `alignment` bytes.
  Scalar* data(Index size) {
    reserve(size);
    return data_.get();
  }

  /// The scalars the buffer holds now.
  Index capacity() const { return capacity_; }

 private:
  struct AlignedDelete {
    void operator()(Scalar* block) const { ::operator delete (block, std::align_val_t{alignment}); }
  };

  std::unique_ptr<Scalar, AlignedDelete> data_;
  Index capacity_ = 0;
};

/// This thread's scratch buffer for Scalar: allocated on first use, grown when a larger shape
/// comes, freed when the thread ends.
template <class Scalar>
ScratchBuffer<Scalar>& thread_scratch() {
  thread_local ScratchBuffer<Scalar> buffer;
  return buffer;
}

}  // namespace wrnn

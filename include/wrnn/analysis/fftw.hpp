/// \file
/// Small RAII helpers over FFTW3 (Debian libfftw3-dev), double precision.
///
/// The analysis works in double whatever the model's scalar: the transforms are small next to
/// training, and double keeps the normalised spectra and correlations free of rounding noise.
/// FFTW's planner is not thread-safe (only fftw_execute is), so every plan is made and destroyed
/// under one process-wide mutex; plans use FFTW_ESTIMATE, which never touches the arrays while
/// planning and costs microseconds.
#pragma once

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>

#include "wrnn/core/error.hpp"

/// Small RAII helpers over FFTW3, double precision (fftw.hpp).
namespace wrnn::analysis::fftw {

/// The process-wide mutex under which every plan is made and destroyed.
inline std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// A buffer from fftw_malloc (SIMD-aligned), freed with fftw_free.
template <class T>
class Buffer {
 public:
  /// `count` zero-initialised elements. \throws Error when fftw_malloc fails.
  explicit Buffer(std::size_t count)
      : count_(count), data_(static_cast<T*>(fftw_malloc(sizeof(T) * (count ? count : 1)))) {
    if (!data_)
      throw Error(
          detail::concat("fftw_malloc failed for ", count, " elements of ", sizeof(T), " bytes"));
    for (std::size_t i = 0; i < count_; ++i) data_[i] = T{};
  }
  ~Buffer() { fftw_free(data_); }             ///< Frees the memory with fftw_free.
  Buffer(const Buffer&) = delete;             ///< Not copyable.
  Buffer& operator=(const Buffer&) = delete;  ///< Not copyable.

  T* data() { return data_; }                                    ///< The elements.
  const T* data() const { return data_; }                        ///< The elements, read-only.
  T& operator[](std::size_t i) { return data_[i]; }              ///< Element i, unchecked.
  const T& operator[](std::size_t i) const { return data_[i]; }  ///< Element i, unchecked.
  std::size_t size() const { return count_; }                    ///< The element count.

 private:
  std::size_t count_;
  T* data_;
};

/// std::complex<double> and fftw_complex have the same layout (the FFTW manual guarantees it).
using Complex = std::complex<double>;
/// The same memory as FFTW's complex type.
inline fftw_complex* as_fftw(Complex* p) {
  return reinterpret_cast<fftw_complex*>(p);
}

/// An executable plan; made by a planning function under the planner mutex.
class Plan {
 public:
  /// Calls `make` (returning an fftw_plan) under the planner mutex.
  /// \throws Error when FFTW returns no plan.
  template <class MakePlan>
  explicit Plan(MakePlan&& make) {
    std::lock_guard<std::mutex> lock(planner_mutex());
    plan_ = make();
    if (!plan_) throw Error("FFTW could not create a plan");
  }
  /// Destroys the plan under the planner mutex.
  ~Plan() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(plan_);
  }
  Plan(const Plan&) = delete;             ///< Not copyable.
  Plan& operator=(const Plan&) = delete;  ///< Not copyable.

  /// Runs the plan on the arrays it was made for (thread-safe).
  void execute() const { fftw_execute(plan_); }

 private:
  fftw_plan plan_ = nullptr;
};

}  // namespace wrnn::analysis::fftw

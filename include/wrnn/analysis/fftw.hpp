// Small RAII helpers over FFTW3 (Debian libfftw3-dev), double precision.
//
// The analysis works in double whatever the model's scalar: the transforms are small next to
// training, and double keeps the normalised spectra and correlations free of rounding noise.
// FFTW's planner is not thread-safe (only fftw_execute is), so every plan is made and destroyed
// under one process-wide mutex; plans use FFTW_ESTIMATE, which never touches the arrays while
// planning and costs microseconds.
#pragma once

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>

#include "wrnn/core/error.hpp"

namespace wrnn::analysis::fftw {

inline std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// A buffer from fftw_malloc (SIMD-aligned), freed with fftw_free.
template <class T>
class Buffer {
 public:
  explicit Buffer(std::size_t count)
      : count_(count), data_(static_cast<T*>(fftw_malloc(sizeof(T) * (count ? count : 1)))) {
    if (!data_)
      throw Error(
          detail::concat("fftw_malloc failed for ", count, " elements of ", sizeof(T), " bytes"));
    for (std::size_t i = 0; i < count_; ++i) data_[i] = T{};
  }
  ~Buffer() { fftw_free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return count_; }

 private:
  std::size_t count_;
  T* data_;
};

// std::complex<double> and fftw_complex have the same layout (the FFTW manual guarantees it).
using Complex = std::complex<double>;
inline fftw_complex* as_fftw(Complex* p) {
  return reinterpret_cast<fftw_complex*>(p);
}

// An executable plan; made by a planning function under the planner mutex.
class Plan {
 public:
  template <class MakePlan>
  explicit Plan(MakePlan&& make) {
    std::lock_guard<std::mutex> lock(planner_mutex());
    plan_ = make();
    if (!plan_) throw Error("FFTW could not create a plan");
  }
  ~Plan() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(plan_);
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  void execute() const { fftw_execute(plan_); }

 private:
  fftw_plan plan_ = nullptr;
};

}  // namespace wrnn::analysis::fftw

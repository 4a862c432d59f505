// Counts heap allocations, to prove that a streaming path never allocates (and how many bytes a
// path asks for). The counting allocator itself is defined once per test program, in
// allocation_counter.cpp (part of the tests' shared main library).
#pragma once

#include <atomic>
#include <cstddef>

#include "sanitizer.hpp"

#if defined(__GLIBC__) && !defined(WRNN_TEST_UNDER_SANITIZER)
#define WRNN_TEST_COUNTS_MALLOC 1
#endif

namespace wrnn_test {

// Counts heap allocation calls (malloc, calloc, realloc and the aligned allocators, where operator
// new, aligned operator new and Eigen's allocator all end), from every thread, while
// counting_enabled is set. glibc only (it exports __libc_malloc and its siblings for exactly this
// kind of interposition), and not under AddressSanitizer or ThreadSanitizer, whose own malloc must
// stay in place (there the counting tests say so and pass; the ordinary build runs them).
inline std::atomic<bool> counting_enabled{false};
inline std::atomic<long> malloc_calls{0};
inline std::atomic<long long> malloc_bytes{0};

#if defined(WRNN_TEST_COUNTS_MALLOC)
constexpr bool kCanCountAllocations = true;
#else
constexpr bool kCanCountAllocations = false;
#endif

// Heap allocations made by f() (on any thread while it runs).
template <class F>
long count_allocations(F&& f) {
  malloc_calls = 0;
  malloc_bytes = 0;
  counting_enabled = true;
  f();
  counting_enabled = false;
  return malloc_calls;
}

// Bytes requested from malloc by f() (freed or not).
template <class F>
long long count_allocated_bytes(F&& f) {
  count_allocations(f);
  return malloc_bytes;
}

}  // namespace wrnn_test

// Counts heap allocations, to prove that a streaming path never allocates (and how many bytes a
// path asks for).
//
// Include from exactly one translation unit per test program: it defines malloc.
#pragma once

#include <cstddef>

namespace wrnn_test {

// Counts calls of malloc while counting_enabled is set: operator new and Eigen's allocator both
// end in malloc. glibc only (it exports __libc_malloc for exactly this kind of interposition), and
// not under AddressSanitizer or ThreadSanitizer, whose own malloc must stay in place (there the
// counting tests say so and pass; the ordinary build runs them).
inline bool counting_enabled = false;
inline long malloc_calls = 0;
inline long long malloc_bytes = 0;

}  // namespace wrnn_test

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WRNN_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WRNN_TEST_UNDER_SANITIZER 1
#endif
#endif
#if defined(__GLIBC__) && !defined(WRNN_TEST_UNDER_SANITIZER)
#define WRNN_TEST_COUNTS_MALLOC 1
#endif

namespace wrnn_test {
#if defined(WRNN_TEST_COUNTS_MALLOC)
constexpr bool kCanCountAllocations = true;
#else
constexpr bool kCanCountAllocations = false;
#endif

}  // namespace wrnn_test

#if defined(WRNN_TEST_COUNTS_MALLOC)
extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) noexcept {
  if (wrnn_test::counting_enabled) {
    ++wrnn_test::malloc_calls;
    wrnn_test::malloc_bytes += static_cast<long long>(size);
  }
  return __libc_malloc(size);
}
#endif

namespace wrnn_test {

// Heap allocations made by f().
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

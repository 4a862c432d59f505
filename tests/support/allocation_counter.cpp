// The counting allocator behind allocation_counter.hpp, one definition per test program: every
// C allocation entry point (operator new, aligned operator new, Eigen's and xsimd's allocators all
// end in one of them) counts, then hands over to glibc's own implementation.
#include "allocation_counter.hpp"

#if defined(WRNN_TEST_COUNTS_MALLOC)
#include <cerrno>

extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* __libc_calloc(std::size_t count, std::size_t size);
extern "C" void* __libc_realloc(void* block, std::size_t size);
extern "C" void* __libc_memalign(std::size_t alignment, std::size_t size);

namespace {
void count(std::size_t size) {
  if (wrnn_test::counting_enabled.load(std::memory_order_relaxed)) {
    wrnn_test::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    wrnn_test::malloc_bytes.fetch_add(static_cast<long long>(size), std::memory_order_relaxed);
  }
}
}  // namespace

extern "C" void* malloc(std::size_t size) noexcept {
  count(size);
  return __libc_malloc(size);
}
extern "C" void* calloc(std::size_t count_of, std::size_t size) noexcept {
  count(count_of * size);
  return __libc_calloc(count_of, size);
}
extern "C" void* realloc(void* block, std::size_t size) noexcept {
  count(size);
  return __libc_realloc(block, size);
}
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count(size);
  return __libc_memalign(alignment, size);
}
extern "C" void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count(size);
  return __libc_memalign(alignment, size);
}
extern "C" int posix_memalign(void** block, std::size_t alignment, std::size_t size) noexcept {
  const bool power_of_two = alignment != 0 && (alignment & (alignment - 1)) == 0;
  if (!power_of_two || alignment % sizeof(void*) != 0) return EINVAL;
  count(size);
  void* result = __libc_memalign(alignment, size);
  if (result == nullptr) return ENOMEM;
  *block = result;
  return 0;
}
#endif

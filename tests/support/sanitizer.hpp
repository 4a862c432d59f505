// Whether this test program is built with AddressSanitizer or ThreadSanitizer (g++ and clang).
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WRNN_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WRNN_TEST_UNDER_SANITIZER 1
#endif
#endif

namespace wrnn_test {
#if defined(WRNN_TEST_UNDER_SANITIZER)
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif
}  // namespace wrnn_test

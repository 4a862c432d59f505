#!/bin/sh
# A compiler launcher (CMake's CXX_COMPILER_LAUNCHER) for code the test build only checks: the
# benchmarks (WRNN_BENCHMARKS_COMPILE_CHECK) and the SIMD-level test programs this processor
# cannot run. The compile command runs with -fsyntax-only (templates are still instantiated and
# checked, warnings are still errors) and the object file it names is created empty, so the build
# records the check as done. Nothing is linked from these objects.
object=""
previous=""
for argument in "$@"; do
  [ "$previous" = "-o" ] && object=$argument
  previous=$argument
done
[ -n "$object" ] || { echo "syntax_only.sh: no -o OBJECT in the compile command" >&2; exit 2; }
"$@" -fsyntax-only && : >"$object"

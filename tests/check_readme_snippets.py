#!/usr/bin/env python3
"""Checks that README.md shows every program of examples/tour/ verbatim, each as a whole ```cpp
block, so that what a reader copies is what tests/test_readme_tour.cpp compiles and runs; and
that every ```cpp block of the README is one of them.

Usage: check_readme_snippets.py REPOSITORY_ROOT
"""
import pathlib
import re
import sys


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    readme = (root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```cpp\n(.*?)^```$", readme, flags=re.MULTILINE | re.DOTALL)
    programs = sorted((root / "examples" / "tour").glob("*.cpp"))
    if not programs:
        print(f"no programs in {root / 'examples' / 'tour'}")
        return 1
    failures = []
    for program in programs:
        text = program.read_text(encoding="utf-8")
        if text not in blocks:
            failures.append(
                f"README.md: expected examples/tour/{program.name} verbatim as a ```cpp block, "
                "received no block equal to it (copy the file into the README again)"
            )
    texts = {program.read_text(encoding="utf-8") for program in programs}
    for block in blocks:
        if block not in texts:
            first_line = block.splitlines()[0] if block else "(empty)"
            failures.append(
                "README.md: a ```cpp block that is no program of examples/tour/ (so no test "
                f"compiles it), starting: {first_line}"
            )
    for failure in failures:
        print(failure)
    if not failures:
        print(f"README.md shows all {len(programs)} programs of examples/tour/ verbatim")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fails when the product's text narrates its development or links a file that does not exist.

    python3 tests/check_no_diary.py [REPOSITORY_ROOT]      (a ctest test: no_diary)

Scans README.md, docs/, include/, examples/, tests/ and benchmarks/ (text files only; tests/data
and the fuzzing corpus are data, not text) for:

  - numbered rounds or sessions of work ("the third session", "round 4", "session 12"),
  - "this host" in prose (the machine a measurement was taken on; scripts and CMake files may
    say it of the machine they run on),
  - a processor model ("Zen 5", "Xeon", "Ice Lake", ...): a measured number names its machine
    class by cores and instruction set ("2 cores, AVX2"), never the processor it happened on,
  - a commit hash in prose (7 to 12 or 40 hex digits with both digits and letters; hex inside
    code, URLs and fenced code blocks is not prose),
  - a date ("2026-12-01", "March 3, 2026"; a bare year, as in a citation, is fine),
  - a before -> after timing ("19.2 -> 18.5 ms"): what changed and when is git's history,
  - diary phrases: "tried and dropped", "we tried", "the issue's target",
  - a relative Markdown link, or a mention of a *.md file or of a repository path
    (include/..., docs/..., ...), that names a file that does not exist.

History belongs in `git log`. Run with --self-test to check the rules alone; every run checks
them first against known-bad and known-good lines, so the scan cannot pass by matching nothing.
"""

import os
import re
import sys
import tempfile

SCANNED = ["README.md", "docs", "include", "examples", "tests", "benchmarks"]
SKIPPED_DIRS = {"tests/data", "tests/fuzz/corpus", "__pycache__"}
SKIPPED_SUFFIXES = {".png", ".gif", ".jpg", ".jpeg", ".svg", ".gz", ".safetensors", ".bin",
                    ".dict", ".idx", ".pt"}
C_FAMILY = {".hpp", ".cpp", ".h", ".cc", ".c", ".in"}
SCRIPTS = {".sh", ".py", ".cmake"}  # and CMakeLists.txt

ORDINALS = (r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
            r"twelfth|\w+teenth|\w+tieth|(?:twenty|thirty|forty|fifty)-\w+|\d+(?:st|nd|rd|th))")
MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
          r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)")
PROCESSORS = (r"Zen\s?[1-9]\+?|Xeons?|EPYC|Ryzen|Threadripper|Opteron|Athlon|Ice\s?Lake|"
              r"Sky\s?lake|Cascade\s?Lake|Cooper\s?Lake|Sapphire\s?Rapids|Emerald\s?Rapids|"
              r"Granite\s?Rapids|Alder\s?Lake|Raptor\s?Lake|Tiger\s?Lake|Rocket\s?Lake|"
              r"Kaby\s?Lake|Coffee\s?Lake|Comet\s?Lake|Meteor\s?Lake|Haswell|Broadwell|"
              r"Ivy\s?Bridge|Sandy\s?Bridge|Graviton\s?\d?|Neoverse|Ampere\s?Altra|Core\s?i[3579]|"
              r"Apple\s?M[1-4]")

# (name, pattern, applies to scripts/CMake too): matched against every line of a text file.
WORD_RULES = [
    ("a session of work (history; say 'run' for one invocation)",
     re.compile(r"(?<!interactive )(?<!python )(?<!shell )(?<!login )(?<!ssh )(?<!tmux )"
                r"(?<!terminal )(?<!debugging )\bsessions?\b", re.I), True),
    ("a numbered round of work",
     re.compile(r"\bround\s+\d+\b(?!\.\d)|\brounds\s+\d+\s*(?:and|to|-|–)\s*\d+\b|"
                r"\b" + ORDINALS + r"\s+round\b(?!\s*-?\s*trips?\b)|"
                r"\brounds? of (?:work|development|optimi[sz]ation|changes)\b", re.I), True),
    ("'this host' (the machine a measurement was taken on)",
     re.compile(r"\bthis host\b", re.I), False),
    ("a processor model (name the machine class: cores, instruction set)",
     re.compile(r"\b(?:" + PROCESSORS + r")\b", re.I), True),
    ("a date",
     re.compile(r"\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b|"
                r"\b" + MONTHS + r"\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?(?:19|20)\d\d\b|"
                r"\b\d{1,2}(?:st|nd|rd|th)?\s+" + MONTHS + r"\.?,?\s+(?:19|20)\d\d\b"), True),
    ("a before -> after timing (history)",
     re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*(?:ms|us|µs|ns|s|min)?\s*(?:->|→)\s*\d+(?:\.\d+)?\s*"
                r"(?:ms|us|µs|ns|s|min|%)(?![\w/])"), True),
    ("a diary phrase",
     re.compile(r"\btried and (?:dropped|reverted|abandoned)\b|\bwe tried\b|"
                r"\bthe issue'?s (?:targets?|goals?)\b", re.I), True),
]

HASH = re.compile(r"(?<![\w.\-/#])(?:[0-9a-f]{7,12}|[0-9a-f]{40})(?![\w/]|\.\w|-\w)")
URL = re.compile(r"\b(?:https?|ftp|file)://\S+|\bgithub\.com/\S+")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_SRC = re.compile(r"<(?:img|a)\b[^>]*\b(?:src|href)\s*=\s*\"([^\"]+)\"", re.I)
MD_MENTION = re.compile(r"(?<![\w/.\-])([\w][\w.\-/]*\.md)\b")
REPO_PATH = re.compile(r"(?<![\w/.\-])((?:include|docs|examples|tests|benchmarks|cmake)/"
                       r"[\w.\-/]+\.(?:hpp|cpp|md|py|sh|txt|in|cmake))(?![\w*<>{}])")


def is_hash(token):
    return re.search(r"[0-9]", token) is not None and re.search(r"[a-f]", token) is not None


def file_kind(path):
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1]
    if suffix == ".md":
        return "markdown"
    if suffix in SCRIPTS or name == "CMakeLists.txt":
        return "script"
    if suffix in C_FAMILY:
        return "c"
    return "text"


def c_comment_mask(text):
    """For C/C++ text: a copy where everything but comments is blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    state = "code"
    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if state == "code":
            if ch == "/" and nxt == "/":
                state = "line"
                out.append("  ")
                i += 2
                continue
            if ch == "/" and nxt == "*":
                state = "block"
                out.append("  ")
                i += 2
                continue
            if ch == '"' or ch == "'":
                # a raw string R"delim( ... )delim" or an ordinary literal
                if ch == '"' and i > 0 and text[i - 1] == "R":
                    m = re.match(r'"([^(\s]*)\(', text[i:])
                    if m:
                        end = text.find(")" + m.group(1) + '"', i)
                        end = n if end < 0 else end + len(m.group(1)) + 2
                        out.append(re.sub(r"[^\n]", " ", text[i:end]))
                        i = end
                        continue
                quote = ch
                j = i + 1
                while j < n and text[j] != quote and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                out.append(" " * (min(j, n - 1) - i + 1))
                i = j + 1
                continue
            out.append("\n" if ch == "\n" else " ")
            i += 1
        elif state == "line":
            if ch == "\n":
                state = "code"
            out.append(ch)
            i += 1
        else:  # block
            if ch == "*" and nxt == "/":
                state = "code"
                out.append("  ")
                i += 2
                continue
            out.append(ch)
            i += 1
    return "".join(out)


def prose_for_hashes(text, kind):
    """The text the commit-hash rule reads: comments of C/C++ code, Markdown outside fenced
    blocks, scripts whole; URLs blanked everywhere."""
    if kind == "c":
        text = c_comment_mask(text)
    elif kind == "markdown":
        lines, fenced = [], False
        for line in text.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                lines.append("")
            else:
                lines.append("" if fenced else line)
        text = "\n".join(lines)
    return URL.sub(lambda m: " " * len(m.group(0)), text)


def scan_text(text, kind):
    """Returns [(line number, rule, excerpt)] for one file's text."""
    findings = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        for name, pattern, in_scripts in WORD_RULES:
            if kind == "script" and not in_scripts:
                continue
            m = pattern.search(line)
            if m:
                findings.append((number, name, m.group(0)))
    for number, line in enumerate(prose_for_hashes(text, kind).split("\n"), 1):
        for m in HASH.finditer(line):
            if is_hash(m.group(0)):
                findings.append((number, "a commit hash in prose", m.group(0)))
                break
    return findings


def resolve(target, base_dir, root):
    """True when a relative reference names an existing file or directory."""
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target:
        return True
    if target.startswith("/"):
        return os.path.exists(os.path.join(root, target.lstrip("/")))
    return os.path.exists(os.path.normpath(os.path.join(base_dir, target)))


def scan_references(text, path, root):
    """Relative Markdown links (and *.md / repository-path mentions in any file) that name a file
    which does not exist."""
    findings = []
    base_dir = os.path.dirname(path)
    kind = file_kind(path)
    external = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:|#|//)", re.I)
    fenced = False
    for number, line in enumerate(text.split("\n"), 1):
        if kind == "markdown":
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            if not fenced:
                targets = [m.group(1) for m in MD_LINK.finditer(line)]
                targets += [m.group(1) for m in HTML_SRC.finditer(line)]
                m = MD_REF_DEF.match(line)
                if m:
                    targets.append(m.group(1))
                for target in targets:
                    if not external.match(target) and not resolve(target, base_dir, root):
                        findings.append((number, "a link to a file that does not exist", target))
        unlinked = URL.sub(" ", MD_LINK.sub(" ", line))
        named = {m.group(1).rstrip(".") for pattern in (MD_MENTION, REPO_PATH)
                 for m in pattern.finditer(unlinked)}
        for target in sorted(named):
            if not (resolve(target, root, root) or resolve(target, base_dir, root)):
                findings.append((number, "names a file that does not exist", target))
    return findings


def scanned_files(root):
    for entry in SCANNED:
        top = os.path.join(root, entry)
        if os.path.isfile(top):
            yield top
            continue
        for directory, subdirs, files in os.walk(top):
            relative = os.path.relpath(directory, root).replace(os.sep, "/")
            subdirs[:] = sorted(d for d in subdirs
                                if f"{relative}/{d}" not in SKIPPED_DIRS and d not in SKIPPED_DIRS)
            for name in sorted(files):
                if os.path.splitext(name)[1].lower() not in SKIPPED_SUFFIXES:
                    yield os.path.join(directory, name)


def read_text(path):
    """The file's text, or None for a binary file."""
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---- self-test: each rule must flag its bad lines and leave the good ones alone ----
BAD = [
    ("// measured in the twenty-first session on this host", "c"),
    ("Session 12 measured the copy step.", "markdown"),
    ("the session's runs gave 18.5 ms", "markdown"),
    ("Round 4: fused the backward pass.", "markdown"),
    ("in the third round the kernel got faster", "markdown"),
    ("rounds 3 and 4 moved the tile", "markdown"),
    ("// 17.5 us at n = 100 on the Zen 5", "c"),
    ("2-core Zen 2, g++ 12", "script"),
    ("2 vCPUs of an AMD EPYC", "markdown"),
    ("on a Xeon with AVX-512", "markdown"),
    ("Ice Lake server, 2 cores", "markdown"),
    ("// fixed at 855973f, see the log", "c"),
    ("the CI's time at fd69439 (8 min 21 s)", "markdown"),
    ("`855973f` gave the copy step", "markdown"),
    ("# at 112bb63 the suite took 9 min", "script"),
    ("full hash 5ec4052a61792a81e1c1d2aa0b0d4c0e5b4d206f in prose", "markdown"),
    ("measured 2026-12-01 on an idle machine", "markdown"),
    ("On March 3, 2026 the suite took 9 min", "markdown"),
    ("1 December 2026: the first run", "markdown"),
    ("// lanes forward 17.5 -> 15.8 us", "c"),
    ("compile 127 -> 66 s", "script"),
    ("a pad of zeros, tried and dropped", "markdown"),
    ("we tried a GEMM first", "markdown"),
    ("the issue's target was 10 ms", "markdown"),
    ("this host gave 8.5 s", "markdown"),
]
GOOD = [
    ("Keller, Muller, Sejnowski, Welling, ICLR 2024", "markdown"),
    ("(Le et al. 2015)", "c"),
    ("constexpr std::uint32_t kSeed = 0x9e3779b9;  // a hex constant", "c"),
    ('const char* sha = "5ec4052a61792a81";  // test data in code', "c"),
    ("const double expected = 0.959987812622906e-01;", "c"),
    ("AVX2 + FMA (x86-64-v3), AVX-512 (x86-64-v4); flags avx2, fma, avx512f", "markdown"),
    ("2 cores, AVX2: 18.5 ms a training step", "markdown"),
    ("the PyTorch round trip, and the first round trip's file", "markdown"),
    ("for (int round = 0; round < 10; ++round) {", "c"),
    ("medians of three alternating rounds each way", "markdown"),
    ("F64 to float rounds to nearest", "markdown"),
    ("the authors' code (github.com/akandykeller/Wave_RNNs/tree/2630b88)", "markdown"),
    ("https://github.com/akandykeller/Wave_RNNs/commit/2630b88", "markdown"),
    ("```\n5ec4052a61792a81e1c1d2aa0b0d4c0e5b4d206f  file.bin\n```", "markdown"),
    ("# builds for this host (-march=native)", "script"),
    ("an interactive session of python3", "markdown"),
    ("maps n -> n + 1 on the ring", "markdown"),
    ("deadbeef and facade are words, 1234567 a number", "markdown"),
    ("std::size_t digest = 0x1f8b08;", "c"),
]


def self_test():
    failures = []
    for text, kind in BAD:
        if not scan_text(text, kind):
            failures.append(f"not flagged (should be): {text!r}")
    for text, kind in GOOD:
        found = scan_text(text, kind)
        if found:
            failures.append(f"flagged (should not be): {text!r} -> {found[0][1]}: {found[0][2]!r}")
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        open(os.path.join(root, "docs", "model.md"), "w").close()
        page = os.path.join(root, "docs", "page.md")
        cases = [
            ("[the model](model.md#initialisation), [home](../README.md), [gone](gone.md)", 1),
            ("see [the model](model.md), [a site](https://example.org/x.md), [top](#top)", 0),
            ("![picture](images/missing.png)", 1),
            ("described in docs/model.md, not in PAPER.md", 1),
            ("described in docs/model.md", 0),
            ("```\n[not a link](nowhere.md)\n```", 0),
            ("the header include/wrnn/nowhere.hpp", 1),
        ]
        open(os.path.join(root, "README.md"), "w").close()
        for text, expected in cases:
            found = scan_references(text, page, root)
            if len(found) != expected:
                failures.append(f"references in {text!r}: expected {expected} finding(s), "
                                f"got {found}")
    return failures


def main(argv):
    failures = self_test()
    if failures:
        print("check_no_diary: the self-test failed:")
        for failure in failures:
            print("  " + failure)
        return 2
    if "--self-test" in argv:
        print(f"check_no_diary: self-test passed ({len(BAD)} bad, {len(GOOD)} good lines)")
        return 0
    args = [a for a in argv if not a.startswith("--")]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    total, files = 0, 0
    this_file = os.path.abspath(__file__)
    for path in scanned_files(root):
        if os.path.abspath(path) == this_file:
            continue  # its self-test lines are diary on purpose
        text = read_text(path)
        if text is None:
            continue
        files += 1
        findings = scan_text(text, file_kind(path)) + scan_references(text, path, root)
        for number, rule, excerpt in sorted(findings):
            print(f"{os.path.relpath(path, root)}:{number}: {rule}: {excerpt!r}")
        total += len(findings)
    if total:
        print(f"check_no_diary: {total} finding(s) in {files} files. The product speaks of itself "
              "as it is now; history belongs in git log.")
        return 1
    print(f"check_no_diary: {files} files, no development narration, no broken references")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

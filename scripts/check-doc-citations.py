#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Every test a document cites in brackets exists, so citations cannot go
stale: in README.md, docs/*.md and every folder's README.md, a bracketed
citation such as [`reset_all`, `make test-kmod-memory`; cross: `x`] names
tests by their function names (Python suites, cmocka tests, the traffic
self-test's case names are not cited) or make targets.  A name that ends
in an ellipsis (`ping_socket_…`) must be the prefix of at least one test.
Prints every citation that names nothing, and exits 1 if there is one."""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CITATION = re.compile(r"\[([^\[\]]*`[^`]+`[^\[\]]*)\]")
TICKED = re.compile(r"`([^`]+)`")
IDENT = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9](…)?$")


def test_names():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "tests", "**", "*.py"), recursive=True):
        with open(path) as f:
            names.update(re.findall(r"^\s*def ([a-z][a-z0-9_]*)\(", f.read(), re.M))
    for path in glob.glob(os.path.join(ROOT, "**", "*.c"), recursive=True):
        if "/build/" in path:
            continue
        with open(path, errors="replace") as f:
            names.update(re.findall(r"\bstatic void (test_[a-z0-9_]+)\(", f.read()))
    return names


def make_targets():
    out = subprocess.run(["make", "-qp", "-C", ROOT], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    targets = set(re.findall(r"^([a-z][a-z0-9_.%-]*):", out, re.M))
    patterns = [t for t in targets if "%" in t]
    return targets, patterns


def documents():
    docs = [os.path.join(ROOT, "README.md")]
    docs += glob.glob(os.path.join(ROOT, "docs", "*.md"))
    docs += glob.glob(os.path.join(ROOT, "*", "README.md"))
    docs += glob.glob(os.path.join(ROOT, "*", "*", "README.md"))
    return sorted(d for d in docs if "/build/" not in d)


def target_exists(name, targets, patterns):
    if name in targets:
        return True
    for p in patterns:
        pre, _, post = p.partition("%")
        if name.startswith(pre) and name.endswith(post) and len(name) > len(pre) + len(post):
            return True
    return False


def main():
    tests = test_names()
    targets, patterns = make_targets()
    bad = checked = 0
    for doc in documents():
        with open(doc) as f:
            text = f.read()
        for m in CITATION.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            for token in TICKED.findall(m.group(1)):
                if token.startswith("make "):
                    ok = all(target_exists(t, targets, patterns) for t in token.split()[1:]
                             if "=" not in t)
                elif IDENT.match(token):
                    ok = (any(t.startswith(token[:-1]) for t in tests) if token.endswith("…")
                          else token in tests)
                else:
                    continue    # a value or an expression, not a test name
                checked += 1
                if not ok:
                    bad += 1
                    print("%s:%d: cites `%s`, which no test or make target is"
                          % (os.path.relpath(doc, ROOT), line, token))
    print("%d citations checked in %d documents, %d stale" % (checked, len(documents()), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

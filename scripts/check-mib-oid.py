#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The MIB's OID is defined once, in LINUBIA-MIB's MODULE-IDENTITY: every
copy of an enterprise OID elsewhere in the tree (the subagent's root, snmpd
views, MRTG, Cacti, snmp_exporter, tests, docs) must lie under it.  Moving
the MIB to a real enterprise number is one edit of the MIB; this check then
names every line that still has the old number.

The OID is resolved from the MIB's own `::= { parent n }` chain and the
Net-SNMP MIB it imports (no snmptranslate: the IETF base MIBs need not be
installed)."""
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = os.path.join(REPO, "mibs", "LINUBIA-MIB.txt")
MIB_DIRS = [os.path.join(REPO, "mibs"), "/usr/share/snmp/mibs"]
ROOTS = {"iso": [1], "org": [1, 3], "dod": [1, 3, 6], "internet": [1, 3, 6, 1],
         "private": [1, 3, 6, 1, 4], "enterprises": [1, 3, 6, 1, 4, 1]}
# "name OBJECT IDENTIFIER ::= { parent 5 }" and "name MODULE-IDENTITY ... ::= { parent 5 }"
ASSIGN = re.compile(r"^\s*([a-z][A-Za-z0-9-]*)\s+(?:OBJECT IDENTIFIER|MODULE-IDENTITY)\b"
                    r"(?:(?!^\s*[a-z][A-Za-z0-9-]*\s+(?:OBJECT|MODULE)).)*?"
                    r"::=\s*\{\s*([a-z][A-Za-z0-9-]*)\s+(\d+)\s*\}", re.S | re.M)
DOTTED = re.compile(r"(?<![\d.])\.?(1\.3\.6\.1\.4\.1(?:\.\d+)+)")
C_ARRAY = re.compile(r"\{\s*(1\s*,\s*3\s*,\s*6\s*,\s*1\s*,\s*4\s*,\s*1(?:\s*,\s*\d+)+)\s*\}")


def definitions():
    defs = {}
    for d in MIB_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), errors="replace") as f:
                for m in ASSIGN.finditer(f.read()):
                    defs.setdefault(m.group(1), (m.group(2), int(m.group(3))))
    return defs


def resolve(name, defs, seen=()):
    if name in ROOTS:
        return list(ROOTS[name])
    if name not in defs or name in seen:
        sys.exit("check-mib-oid: cannot resolve %s (is NET-SNMP-MIB in /usr/share/snmp/mibs?)"
                 % name)
    parent, n = defs[name]
    return resolve(parent, defs, seen + (name,)) + [n]


def main():
    with open(MIB) as f:
        m = re.search(r"^\s*([a-z][A-Za-z0-9-]*)\s+MODULE-IDENTITY", f.read(), re.M)
    if not m:
        sys.exit("check-mib-oid: no MODULE-IDENTITY in %s" % MIB)
    root = ".".join(map(str, resolve(m.group(1), definitions())))
    files = subprocess.run(["git", "-C", REPO, "ls-files", "-z"], stdout=subprocess.PIPE,
                           check=True).stdout.decode().split("\0")
    bad, copies = [], set()
    for rel in filter(None, files):
        path = os.path.join(REPO, rel)
        if rel.startswith("mibs/") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if b"\0" in data:
            continue
        for lineno, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            found = DOTTED.findall(line)
            found += [re.sub(r"\s*,\s*", ".", c) for c in C_ARRAY.findall(line)]
            for oid in found:
                copies.add(rel)
                if oid != root and not oid.startswith(root + "."):
                    bad.append("%s:%d: %s is not under the MIB's %s" % (rel, lineno, oid, root))
    for b in bad:
        print("FAIL " + b)
    print("%s: %s (LINUBIA-MIB %s); %d files hold copies, %d lines outside it"
          % ("PASS" if not bad else "FAIL", "mib_oid_defined_once", root, len(copies), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

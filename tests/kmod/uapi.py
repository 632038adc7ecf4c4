# SPDX-License-Identifier: GPL-2.0-only
"""The LINUBIA UAPI as seen by the Python tests: every number and name is
read from kmod/include/uapi/linux/linubia.h, so the tests never re-declare
the ABI by hand."""
import os
import re

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.path.join(REPO, "kmod", "include", "uapi", "linux", "linubia.h")


def _enum(text, name):
    body = re.search(r"enum %s\s*\{(.*?)\};" % name, text, re.S).group(1)
    names = [n.strip() for n in re.sub(r"/\*.*?\*/", "", body, flags=re.S).split(",")]
    return {n: i for i, n in enumerate(n for n in names if n)}


def _xmacro(text, name):
    """The quoted names of an X-macro list, in order."""
    start = text.index("#define %s(X)" % name)
    lines = []
    for line in text[start:].splitlines():
        lines.append(line)
        if not line.rstrip().endswith("\\"):
            break
    return re.findall(r'X\([A-Z0-9_]+,\s*"([a-z0-9_]+)"', "\n".join(lines))


_text = open(HEADER).read()
CMD = _enum(_text, "linubia_cmd")
ATTR = _enum(_text, "linubia_attr")
COUNTERS = _xmacro(_text, "LINUBIA_COUNTERS")
STATS = _xmacro(_text, "LINUBIA_STATS")
GENL_NAME = re.search(r'#define LINUBIA_GENL_NAME\s+"(\w+)"', _text).group(1)
GENL_VERSION = int(re.search(r"#define LINUBIA_GENL_VERSION\s+(\d+)", _text).group(1))
UID_UNATTRIBUTED = int(re.search(r"#define LINUBIA_UID_UNATTRIBUTED\s+(\d+)U", _text).group(1))
NO_GID = int(re.search(r"#define LINUBIA_NO_GID\s+(\d+)U", _text).group(1))

assert len(COUNTERS) == 32, COUNTERS
assert "LINUBIA_CMD_RESET" in CMD and "LINUBIA_A_COUNTERS" in ATTR

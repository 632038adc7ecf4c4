#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check OpenMetrics text on stdin with an independent parser: the Python
prometheus_client's (Debian's python3-prometheus-client, strict about the
OpenMetrics grammar: # EOF, _total/_created naming, UNIT suffixes, info
types).  Run with Debian's /usr/bin/python3 (that is where the package is).
Prints one line "families=N samples=N created=N" or the parser's error and
exits 1."""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = samples = created = 0
    try:
        for fam in text_string_to_metric_families(text):
            families += 1
            totals = {frozenset(s.labels.items()) for s in fam.samples
                      if s.name.endswith("_total")}
            for s in fam.samples:
                samples += 1
                if s.name.endswith("_created"):
                    created += 1
            if fam.name.startswith("linubia_user_"):
                have = {frozenset(s.labels.items()) for s in fam.samples
                        if s.name.endswith("_created")}
                if have != totals:
                    print("%s: _created of %d series, _total of %d" % (fam.name, len(have),
                                                                        len(totals)))
                    return 1
    except Exception as e:  # noqa: BLE001 - the parser's verdict is the output
        print("OpenMetrics parser: %s" % e)
        return 1
    print("families=%d samples=%d created=%d" % (families, samples, created))
    return 0


if __name__ == "__main__":
    sys.exit(main())

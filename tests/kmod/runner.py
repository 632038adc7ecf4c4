# SPDX-License-Identifier: GPL-2.0-only
"""A tiny test runner for the guest: each test gets a freshly loaded module
and its own namespaces; prints one line per test and 'N passed, N failed'."""
import sys
import time
import traceback

import lnb

TESTS = []


def test(fn=None, **module_params):
    """Decorator: register fn; module_params are given to insmod."""
    def wrap(f):
        TESTS.append((f, module_params))
        return f
    return wrap(fn) if fn else wrap


def run_all(selected=None):
    # A lockup must end the run at once with its stack on the console, not
    # hang until the harness's timeout.
    lnb.run("sysctl -qw kernel.softlockup_panic=1 kernel.hung_task_panic=1 "
            "kernel.hung_task_timeout_secs=120 && dmesg -n 7")
    passed = failed = 0
    for fn, params in TESTS:
        if selected and fn.__name__ not in selected:
            continue
        start = time.monotonic()
        try:
            run_one(fn, params)
            passed += 1
            print("PASS %s (%.1f s)" % (fn.__name__, time.monotonic() - start), flush=True)
        except lnb.Failure as e:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s: unexpected error\n%s" % (fn.__name__, traceback.format_exc()), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not passed else 0


def run_one(fn, params, tries=3):
    """Run fn with a fresh module; repeat (logged) only while the ground
    truth was inexact, never on a real mismatch."""
    for attempt in range(1, tries + 1):
        lnb.load_module(**params)
        try:
            fn()
            return
        except lnb.Inexact as e:
            if attempt == tries:
                raise lnb.Failure("ground truth inexact in all %d tries: %s" % (tries, e))
            print("RETRY %s: %s" % (fn.__name__, e), flush=True)
        finally:
            lnb.run("ip -all netns delete", check=False)
            if lnb.module_loaded():
                lnb.unload_module()


if __name__ == "__main__":
    sys.exit("import this module from a test file")

# SPDX-License-Identifier: GPL-2.0-only
"""How every test suite here runs its tests and reports them (run_each,
summary, with_retries), and the module suite's own runner: each test gets a
freshly loaded module and its own namespaces."""
import sys
import time
import traceback

import lnb

TESTS = []


def run_each(tests, call, selected=(), scenario=False):
    """call(fn) for each test function (only those named in selected, if
    any): one PASS or FAIL line each, with a traceback for an unexpected
    error.  Returns (passed, failed); an unknown name in selected fails.
    scenario: the tests are the steps of one scenario and share its state,
    so a selection runs every step up to the last one it names."""
    names = [fn.__name__ for fn in tests]
    unknown = set(selected) - set(names)
    if unknown:
        print("FAIL no such test: %s" % " ".join(sorted(unknown)), flush=True)
        return 0, 1
    if scenario and selected:
        tests = tests[:max(names.index(n) for n in selected) + 1]
        print("steps %s run first: the scenario's state builds up step by step"
              % ", ".join(fn.__name__ for fn in tests if fn.__name__ not in selected), flush=True)
        selected = ()
    passed = failed = 0
    for fn in tests:
        if selected and fn.__name__ not in selected:
            continue
        start = time.monotonic()
        try:
            call(fn)
            passed += 1
            print("PASS %s (%.1f s)" % (fn.__name__, time.monotonic() - start), flush=True)
        except lnb.Failure as e:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e), flush=True)
        except Exception:  # noqa: BLE001 - report and go on
            failed += 1
            print("FAIL %s: unexpected error\n%s" % (fn.__name__, traceback.format_exc()),
                  flush=True)
    return passed, failed


def summary(passed, failed):
    """The last line of a suite's output, and its exit status."""
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not passed else 0


def with_retries(fn, setup, cleanup, tries=3):
    """setup(), fn(), cleanup(); again (logged) only while the ground truth
    was inexact, never on a real mismatch."""
    for attempt in range(1, tries + 1):
        try:
            setup()
            fn()
            return
        except lnb.Inexact as e:
            if attempt == tries:
                raise lnb.Failure("ground truth inexact in all %d tries: %s" % (tries, e))
            print("RETRY %s: %s" % (fn.__name__, e), flush=True)
        finally:
            cleanup()


def panic_on_lockup():
    """In the guest: a lockup must end the run at once with its stack on the
    console, not hang until the harness's timeout."""
    lnb.run("sysctl -qw kernel.softlockup_panic=1 kernel.hung_task_panic=1 "
            "kernel.hung_task_timeout_secs=120")


# --- the module suite ----------------------------------------------------------

def test(fn=None, **module_params):
    """Decorator: register fn; module_params are given to insmod."""
    def wrap(f):
        TESTS.append((f, module_params))
        return f
    return wrap(fn) if fn else wrap


def unload_all():
    lnb.run("ip -all netns delete", check=False)
    if lnb.module_loaded():
        lnb.unload_module()


def run_all(selected=None):
    panic_on_lockup()
    lnb.run("dmesg -n 7")   # the module's messages on the console, in the log
    params = dict(TESTS)
    return summary(*run_each(
        [fn for fn, _ in TESTS],
        lambda fn: with_retries(fn, lambda: lnb.load_module(**params[fn]), unload_all),
        selected or ()))


if __name__ == "__main__":
    sys.exit("import this module from a test file")

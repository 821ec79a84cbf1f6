"""The one bounded wait: poll a predicate until it holds or the time is up.

Every wait in hybridnet is on something outside the process — a daemon's socket, a BGP session, a
probe's replies — so none may be a bare sleep and none may wait forever. ``wait_until`` polls;
``poll_until`` does the same and returns whether the predicate held, for callers that carry on
either way (a drill step that did not settle is a finding, not an error).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hybridnet.errors import HybridnetError


class WaitTimeout(HybridnetError):
    """A bounded wait ran out: ``what`` did not happen within the timeout."""

    def __init__(self, what: str, timeout_s: float) -> None:
        super().__init__(f"timed out after {timeout_s:g} s waiting for {what}")
        self.what = what
        self.timeout_s = timeout_s


def poll_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Call ``predicate`` every ``interval_s`` until it is true (True) or ``timeout_s`` passed; the
    predicate is asked once more at the deadline, so a slow last poll still counts (False if not)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(max(0.0, min(interval_s, deadline - time.monotonic())))
    return predicate()


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.05, *, what: str,
               error: Callable[[str], BaseException] | None = None) -> None:
    """Poll ``predicate`` until it holds; raise after ``timeout_s`` naming ``what``.

    ``error`` builds the exception from the message (a LabError, an AgentError…), so each layer
    reports a timeout as its own kind of failure; by default a ``WaitTimeout``.
    """
    if poll_until(predicate, timeout_s, interval_s):
        return
    if error is None:
        raise WaitTimeout(what, timeout_s)
    raise error(f"timed out after {timeout_s:g} s waiting for {what}")

"""Guarding librdkafka calls that do not keep their own timeout.

``Producer.send_offsets_to_transaction`` and ``commit_transaction`` were seen blocking for
minutes past their timeout while the broker restarted, and a blocked main thread also ignores
SIGTERM. :func:`call_with_deadline` runs such a call on a helper thread and gives up waiting
at the deadline or at the stop signal; the caller must then treat the client as unusable
(recreate it), because the call may still complete later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sgbus.runtime.faults import TransientError

T = TypeVar("T")


class CallAbandoned(TransientError):
    """A guarded call did not return in time; its client must be recreated."""


def call_with_deadline(
    call: Callable[[], T],
    deadline_s: float,
    stop: threading.Event,
    what: str,
    *,
    grace_s: float = 0.0,
) -> T:
    """The result of ``call()``, or :class:`CallAbandoned` after ``deadline_s`` seconds or
    ``grace_s`` seconds after ``stop`` is set (a short grace lets a commit that is about to
    finish do so). Exceptions of ``call`` are re-raised in the caller's thread."""
    done = threading.Event()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # re-raised below, in the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=f"guard-{what}", daemon=True).start()
    waited = 0.0
    stopping_for = 0.0
    while not done.wait(0.1):
        waited += 0.1
        if stop.is_set():
            stopping_for += 0.1
        if waited >= deadline_s or (stop.is_set() and stopping_for >= grace_s):
            raise CallAbandoned("broker", f"{what} did not return within {waited:.0f}s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]

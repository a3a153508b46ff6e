"""The library's thread pool across ``fork``.

``scan_batch`` and ``scan_lines`` run on the library's process-wide
thread pool (rayon's), started by the first batch, and freeing a batch
runs on it too. ``fork`` copies the pool's state into the child but not
its threads: a batch call in the child would queue work that no thread
takes and wait for it forever. So the binding notes which process
started the pool; in a process forked after that (with ``os.fork``,
``multiprocessing``'s ``fork`` method, or a C ``fork``) a batch raises
``StateError`` at once, and a batch inherited from the parent is left
unfreed (its memory is the child's copy of the parent's; it goes when
the child exits). Single-message calls (``scan``, ``protect``,
``stream``...) use no pool and work in the child, with the parent's
engine or a new one.

Limitation: the pool cannot be rebuilt in the child (it is the
library's global one); a process that forks workers after running a
batch should start them with the ``spawn`` or ``forkserver`` method, or
have them scan one message at a time.
"""

from __future__ import annotations

import os

from .errors import StateError, Status

# The process that started the library's pool, once a batch has run.
_started_in: int | None = None
# Set in a child forked (by os.fork) after the pool was started.
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    if _started_in is not None:
        _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def usable() -> bool:
    """True unless this process was forked after the pool started."""
    return not _forked and _started_in in (None, os.getpid())


def enter() -> None:
    """Notes that a call is about to use the pool.

    Raises:
        ``StateError`` in a process forked after the pool was started.
    """
    global _started_in
    if not usable():
        raise StateError(
            Status.STATE,
            f"the library's thread pool was started in process "
            f"{_started_in} before this process was forked from it, and "
            f"its threads do not exist here: a batch cannot run in this "
            f"process; scan one message at a time, or start workers with "
            f"the 'spawn' or 'forkserver' method",
        )
    _started_in = os.getpid()

"""The life of a native handle: borrowed by calls, closed once.

``Handle`` owns one pointer from the library and the function that frees
it. A call borrows the pointer (``_acquire`` / ``_release``); ``close``
marks the handle closed and frees the pointer as soon as no call is
using it, so that closing an engine while another thread scans with it
is safe: the scan finishes, then the engine is freed. After ``close``
every borrow raises ``StateError``. A handle that is garbage collected
without ``close`` is freed then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Self

from .errors import closed


class Handle:
    """A native pointer with its free function; usable in ``with``."""

    __slots__ = ("_ptr", "_free", "_lock", "_users", "_closing")

    # The noun for messages: "the engine is closed".
    _what = "handle"

    def __init__(self, ptr: int, free: Callable[[int], None]) -> None:
        self._ptr: int | None = ptr
        self._free = free
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False

    def _acquire(self) -> int:
        """Borrows the pointer for one call; pair with ``_release``."""
        with self._lock:
            if self._closing or self._ptr is None:
                raise closed(self._what)
            self._users += 1
            return self._ptr

    def _release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._closing and self._users == 0:
                self._free_now()

    def _free_now(self) -> None:
        # N.B. called with the lock held, once: `_ptr` is None after.
        ptr, self._ptr = self._ptr, None
        if ptr:
            self._free(ptr)

    def close(self) -> None:
        """Frees the handle (after any call still using it); idempotent."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._users == 0:
                self._free_now()

    @property
    def closed(self) -> bool:
        """True once ``close`` was called."""
        return self._closing

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # At interpreter exit the library may already be gone: a leak is
        # harmless then, an exception is not.
        try:
            self.close()
        except Exception:
            pass

"""Copying a native result into a ``ScanResult``.

A ``Reader`` holds the out-parameters of the accessor calls, made once
per thread and reused for every result that thread reads, so that
reading a result allocates no ctypes objects. ``reader()`` gives the
calling thread's.

A result is read in two parts: ``scalars`` (level, confidence,
``complete``: one call) and ``rest`` (everything else). A single scan
reads both before it frees its result. A batch reads nothing: each
result reads itself on first use (see ``ScanResult``), its scalars
alone when only they are asked for, and ``Batch`` keeps the library's
batch alive until then.

PERF: a ctypes call costs about 0.2 microseconds and a line of Python
about as much, so reading all of a result costs several microseconds
whatever is done (``bench/bench_batch.py``). The reader makes as few
calls as it can: arrays are copied whole and split with ``struct``, not
read field by field; errors are read only for an incomplete result; the
recommended actions once per level per batch.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import addressof, c_size_t, c_void_p

from . import _native as n
from .result import LABELS, LEVELS, Field, Finding, Keyword, ScanResult

_string_at = ctypes.string_at
_new = tuple.__new__
_alloc = ScanResult.__new__

# The one field of a text scan (MAILSHIELD_INPUT_TEXT).
BODY = ("body",)


class Reader:
    """Reads results; one thread's (see ``reader``)."""

    __slots__ = (
        "lib",
        "items",
        "count",
        "out",
        "summary",
        "summary_at",
        "json_text",
        "json_at",
    )

    def __init__(self, lib: n.Library) -> None:
        self.lib = lib
        self.items = c_void_p()
        self.count = c_size_t()
        self.out = (addressof(self.items), addressof(self.count))
        self.summary = n.Summary()
        self.summary_at = addressof(self.summary)
        self.json_text = n.Text()
        self.json_at = addressof(self.json_text)

    def array(self, fn, res: int, size: int) -> bytes:
        """The raw bytes of the list ``fn`` gives for result ``res``."""
        status = fn(res, *self.out)
        if status:
            self.lib.check(status)
        count = self.count.value
        if not count:
            return b""
        return _string_at(self.items.value, count * size)

    def texts(self, fn, res: int) -> tuple[str, ...]:
        """The texts of the list ``fn`` gives for result ``res``."""
        raw = self.array(fn, res, n.TEXT.size)
        if not raw:
            return ()
        return tuple(
            [_string_at(p, k).decode() for p, k in n.TEXT.iter_unpack(raw)]
        )

    def get(self, batch: int, index: int) -> int:
        """The ``index``-th result of a batch."""
        status = self.lib.batch_get(batch, index, self.out[0])
        if status:
            self.lib.check(status)
        return self.items.value

    def scalars(
        self, res: int, r: ScanResult | None = None
    ) -> tuple[ScanResult, int, int]:
        """A result (``r``, or a new one) with its level, confidence and
        ``complete`` read, and where its id is (address, length)."""
        status = self.lib.result_summary(res, self.summary_at)
        if status:
            self.lib.check(status)
        level, _, _, confidence, complete, id_ptr, id_len = (
            n.SUMMARY.unpack_from(self.summary)
        )
        if r is None:
            r = _alloc(ScanResult)
        r.level = LEVELS[level]
        r.classification = LABELS[level]
        r.confidence = confidence
        r.complete = complete
        return r, id_ptr, id_len

    def rest(
        self,
        r: ScanResult,
        res: int,
        chars: bool,
        text: str | bytes | None,
        json: bool,
        types: tuple[str, ...],
        actions: dict[int, tuple[str, ...]],
        id_ptr: int,
        id_len: int,
    ) -> None:
        """Reads the rest of result ``res`` into ``r``, whose scalars are
        read.

        ``chars`` picks code point offsets (else bytes). ``text`` is the
        input of a text scan, whose one field is ``body`` (N.B. the header
        gives no text for that field: the caller's buffer is the text);
        None for a message, whose fields are read from the result.
        ``types`` are the engine's entity names, ``actions`` the
        recommended actions by level known so far; the id is at
        ``id_ptr``.
        """
        lib = self.lib
        if text is None:
            fields = self.fields(res)
            names = tuple([f.name for f in fields])
        else:
            fields = (_new(Field, ("body", text)),)
            names = BODY
        r.id = _string_at(id_ptr, id_len).decode()
        r.findings = self.findings(res, chars, names, types)
        r.keywords = self.keywords(res, chars, names)
        r.risk_factors = self.texts(lib.result_risk_factors, res)
        # N.B. read once per level: the header defines them as "the
        # actions the level's policy recommends", a function of the
        # engine and the level alone.
        level = int(r.level)
        known = actions.get(level)
        if known is None:
            known = self.texts(lib.result_recommended_actions, res)
            actions[level] = known
        r.recommended_actions = known
        r.warnings = self.texts(lib.result_warnings, res)
        # N.B. the header: errors are what left the message incomplete,
        # "then the summary says `complete` false".
        r.errors = self.texts(lib.result_errors, res) if not r.complete else ()
        r.fields = fields
        r.json = self.json(res) if json else None
        r._pending = None

    def fields(self, res: int) -> tuple[Field, ...]:
        """The fields of a message result, their text as bytes."""
        raw = self.array(self.lib.result_fields, res, n.FIELD.size)
        return tuple(
            _new(Field, (_string_at(p, k).decode(), n.string_at(tp, tk)))
            for p, k, tp, tk in n.FIELD.iter_unpack(raw)
        )

    def findings(
        self, res: int, chars: bool, names, types
    ) -> tuple[Finding, ...]:
        raw = self.array(self.lib.result_findings, res, n.FINDING.size)
        if not raw:
            return ()
        out = []
        for (
            _,
            _,
            entity,
            field,
            start,
            end,
            start_char,
            end_char,
            _,
            _,
            score,
            validated,
            m_ptr,
            m_len,
        ) in n.FINDING.iter_unpack(raw):
            if chars:
                start, end = start_char, end_char
            masked = _string_at(m_ptr, m_len).decode()
            out.append(
                _new(
                    Finding,
                    (types[entity], names[field], start, end, score,
                     validated, masked),
                )
            )
        return tuple(out)

    def keywords(
        self, res: int, chars: bool, names
    ) -> tuple[Keyword, ...]:
        raw = self.array(self.lib.result_keywords, res, n.KEYWORD.size)
        if not raw:
            return ()
        out = []
        for (
            w_ptr,
            w_len,
            field,
            start,
            end,
            start_char,
            end_char,
            _,
            _,
            in_footer,
        ) in n.KEYWORD.iter_unpack(raw):
            if chars:
                start, end = start_char, end_char
            word = _string_at(w_ptr, w_len).decode()
            out.append(
                _new(Keyword, (word, names[field], start, end, in_footer))
            )
        return tuple(out)

    def json(self, res: int) -> str:
        """The JSON line of a result."""
        status = self.lib.result_json(res, self.json_at)
        if status:
            self.lib.check(status)
        ptr, length = n.TEXT.unpack_from(self.json_text)
        return _string_at(ptr, length).decode()

    def whole(
        self,
        res: int,
        chars: bool,
        text: str | bytes | None,
        json: bool,
        types: tuple[str, ...],
    ) -> ScanResult:
        """All of result ``res``, for a call that frees it next."""
        r, id_ptr, id_len = self.scalars(res)
        self.rest(r, res, chars, text, json, types, {}, id_ptr, id_len)
        return r


_local = threading.local()


def reader(lib: n.Library) -> Reader:
    """The calling thread's reader."""
    r = getattr(_local, "reader", None)
    if r is None:
        r = _local.reader = Reader(lib)
    return r


class Batch:
    """The library's batch, alive while a result of it is unread.

    A batch result is read on first use (see ``ScanResult``): its
    ``_pending`` is ``(batch, index, chars, text, json)``, which keeps the
    batch alive; the batch is freed (by garbage collection) once every
    result has been read whole or dropped.
    """

    __slots__ = ("lib", "ptr", "types", "actions", "__weakref__")

    def __init__(self, lib: n.Library, ptr: int, types) -> None:
        self.lib = lib
        self.ptr = ptr
        self.types = types
        # Recommended actions by level; shared by the batch's readers,
        # which only ever store the same tuple for a level.
        self.actions: dict[int, tuple[str, ...]] = {}

    def results(self, items, data, chars, messages: bool, json: bool):
        """The results, unread.

        ``items`` are the inputs as given, ``data`` their bytes, ``chars``
        whether each was a ``str``.
        """
        out = []
        for i, c in enumerate(chars):
            r = _alloc(ScanResult)
            text = None if messages else items[i] if c else data[i]
            r._pending = (self, i, c, text, json)
            out.append(r)
        return out

    def read(
        self,
        r: ScanResult,
        index: int,
        chars: bool,
        text: str | bytes | None,
        json: bool,
        whole: bool,
    ) -> None:
        """Reads result ``index`` into ``r``: its scalars, and with
        ``whole`` everything. Any thread; ``self`` stays alive while it
        runs, even if another thread finishes reading ``r`` first."""
        read = reader(self.lib)
        res = read.get(self.ptr, index)
        _, id_ptr, id_len = read.scalars(res, r)
        if whole:
            read.rest(
                r, res, chars, text, json, self.types, self.actions,
                id_ptr, id_len,
            )

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, 0
        if ptr:
            try:
                self.lib.batch_free(ptr)
            except Exception:  # at interpreter exit
                pass

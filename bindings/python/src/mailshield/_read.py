"""Copying a native result into a ``ScanResult``.

One call, ``mailshield_result_read``, gives every part of a result: the
summary, and each list as a pointer and a count. The lists are then
unpacked with ``struct`` straight out of the process's memory
(``_native.MEMORY``), so reading a result whole makes one ctypes call
(two for a batch's result, which ``mailshield_batch_get`` finds first;
three when the JSON line is asked for), whatever it holds.

A ``Reader`` holds the out-parameters of those calls, made once per
thread and reused for every result the thread reads, so that reading
allocates no ctypes objects; ``reader()`` gives the calling thread's.

A single scan reads its result whole before it frees it. A batch reads
nothing up front: each result reads itself on first use (see
``ScanResult``), its scalars alone (level, confidence, ``complete``)
when only they are asked for, and ``Batch`` keeps the library's batch
alive until every result has been read whole or dropped.

PERF: what reading costs (``bench/bench_batch.py``) is Python's, not the
library's: 0.1 to 0.3 microsecond per ctypes call, per text decoded,
per object built and per few lines of Python. So type names come from
the engine's entity table by the finding's index instead of from each
finding's text, a finding or keyword is one ``struct`` unpack and one
decoded text, an empty list costs a comparison, and loops are plain
``for`` loops (a comprehension is a function call in Python 3.11).
"""

from __future__ import annotations

import threading
from ctypes import addressof, c_void_p

from . import _native as n
from . import _pool
from .result import LABELS, LEVELS, Field, Finding, Keyword, ScanResult

_new = tuple.__new__
_alloc = ScanResult.__new__
_texts = n.texts_at
_memory = n.MEMORY
_view = n.RESULT_VIEW.unpack_from
_findings = n.FINDING.iter_unpack
_keywords = n.KEYWORD.iter_unpack
_fields = n.FIELD.iter_unpack

# The one field of a text scan (MAILSHIELD_INPUT_TEXT).
BODY = ("body",)


class Reader:
    """Reads results; one thread's (see ``reader``)."""

    __slots__ = ("lib", "view", "view_at", "item", "item_at", "line")

    def __init__(self, lib: n.Library) -> None:
        self.lib = lib
        self.view = n.ResultView()
        self.view_at = addressof(self.view)
        self.item = c_void_p()
        self.item_at = addressof(self.item)
        self.line = n.Text()

    def get(self, batch: int, index: int) -> int:
        """The ``index``-th result of a batch."""
        status = self.lib.batch_get(batch, index, self.item_at)
        if status:
            self.lib.check(status)
        return self.item.value

    def view_of(self, res: int) -> tuple:
        """The fields of result ``res``'s ``mailshield_result_view``, in
        the order of ``_native.RESULT_VIEW``."""
        status = self.lib.result_read(res, self.view_at)
        if status:
            self.lib.check(status)
        return _view(self.view)

    def scalars(self, r: ScanResult, res: int) -> None:
        """Reads the level, confidence and ``complete`` of ``res`` into
        ``r``."""
        level, _, _, confidence, complete, *_ = self.view_of(res)
        r.level = LEVELS[level]
        r.classification = LABELS[level]
        r.confidence = confidence
        r.complete = complete

    def whole(
        self,
        r: ScanResult,
        res: int,
        chars: bool,
        text: str | bytes | None,
        json: bool,
        types: tuple[str, ...],
        actions: dict[int, tuple[str, ...]],
    ) -> ScanResult:
        """Reads all of result ``res`` into ``r``, and returns it.

        ``chars`` picks code point offsets (else bytes). ``text`` is the
        input of a text scan, whose one field is ``body`` (N.B. the
        header: that field's text is empty in the result, as the
        caller's buffer is the text); None for a message, whose fields
        are read from the result. ``types`` are the engine's entity
        names, which a finding's ``entity`` indexes; ``actions`` the
        recommended actions by level read so far with this engine.
        """
        (
            level, _, _, confidence, complete, id_p, id_n,
            f_p, f_n, k_p, k_n, fl_p, fl_n,
            rf_p, rf_n, ra_p, ra_n, w_p, w_n, e_p, e_n,
        ) = self.view_of(res)
        if text is None:
            fields = fields_at(fl_p, fl_n)
            names = tuple([f.name for f in fields])
        else:
            fields = (_new(Field, ("body", text)),)
            names = BODY
        r.level = LEVELS[level]
        r.classification = LABELS[level]
        r.confidence = confidence
        r.complete = complete
        r.id = str(_memory[id_p : id_p + id_n], "utf-8")
        r.findings = (
            findings_at(f_p, f_n, chars, names, types) if f_n else ()
        )
        r.keywords = keywords_at(k_p, k_n, chars, names) if k_n else ()
        r.risk_factors = _texts(rf_p, rf_n) if rf_n else ()
        # PERF: read once per level and engine (nearly 1 microsecond a
        # result, bench/bench_batch.py). N.B. the header defines them as
        # "the actions the level's policy recommends", a function of the
        # engine and the level alone.
        known = actions.get(level)
        if known is None:
            known = actions[level] = _texts(ra_p, ra_n)
        r.recommended_actions = known
        r.warnings = _texts(w_p, w_n) if w_n else ()
        r.errors = _texts(e_p, e_n) if e_n else ()
        r.fields = fields
        r.json = self.json(res) if json else None
        r._pending = None
        return r

    def json(self, res: int) -> str:
        """The JSON line of a result."""
        status = self.lib.result_json(res, addressof(self.line))
        if status:
            self.lib.check(status)
        ptr, length = n.TEXT.unpack_from(self.line)
        return str(_memory[ptr : ptr + length], "utf-8")


def fields_at(ptr: int, count: int) -> tuple[Field, ...]:
    """The ``count`` fields at ``ptr`` (a message result's), their text
    as bytes."""
    memory = _memory
    out = []
    for p, k, t_p, t_n in _fields(memory[ptr : ptr + count * n.FIELD.size]):
        name = str(memory[p : p + k], "utf-8")
        out.append(_new(Field, (name, n.string_at(t_p, t_n))))
    return tuple(out)


def findings_at(
    ptr: int, count: int, chars: bool, names, types
) -> tuple[Finding, ...]:
    """The ``count`` findings at ``ptr``, offsets in code points when
    ``chars`` (else bytes)."""
    memory = _memory
    out = []
    for (
        _, _, entity, field, start, end, start_char, end_char, _, _,
        score, validated, m_p, m_n,
    ) in _findings(memory[ptr : ptr + count * n.FINDING.size]):
        if chars:
            start, end = start_char, end_char
        out.append(
            _new(
                Finding,
                (
                    types[entity], names[field], start, end, score,
                    validated, str(memory[m_p : m_p + m_n], "utf-8"),
                ),
            )
        )
    return tuple(out)


def keywords_at(
    ptr: int, count: int, chars: bool, names
) -> tuple[Keyword, ...]:
    """The ``count`` keyword hits at ``ptr``, offsets as for
    ``findings_at``."""
    memory = _memory
    out = []
    for (
        w_p, w_n, field, start, end, start_char, end_char, _, _, in_footer,
    ) in _keywords(memory[ptr : ptr + count * n.KEYWORD.size]):
        if chars:
            start, end = start_char, end_char
        word = str(memory[w_p : w_p + w_n], "utf-8")
        out.append(_new(Keyword, (word, names[field], start, end, in_footer)))
    return tuple(out)


_local = threading.local()


def reader(lib: n.Library) -> Reader:
    """The calling thread's reader."""
    try:
        return _local.reader
    except AttributeError:
        r = _local.reader = Reader(lib)
        return r


def read_whole(lib, res, chars, text, json, types, actions) -> ScanResult:
    """All of result ``res``, for a call that frees it next; arguments
    as for ``Reader.whole``."""
    r = _alloc(ScanResult)
    return reader(lib).whole(r, res, chars, text, json, types, actions)


class Batch:
    """The library's batch, alive while a result of it is unread.

    A batch result is read on first use (see ``ScanResult``): its
    ``_pending`` is the batch, which it keeps alive, and its ``_index``
    its place in it; the batch is freed (by garbage collection) once
    every result has been read whole or dropped.

    ``texts`` are the inputs of a text batch as the results' ``body``
    fields hold them (None for messages), ``chars`` whether each result's
    offsets are code points, ``json`` whether results carry their JSON
    line.
    """

    __slots__ = (
        "lib", "ptr", "types", "actions", "texts", "chars", "json",
        "__weakref__",
    )

    def __init__(
        self,
        lib: n.Library,
        ptr: int,
        engine,
        texts: list | None,
        chars: list[bool],
        json: bool,
    ) -> None:
        self.lib = lib
        self.ptr = ptr
        self.types = engine._entities
        self.actions = engine._actions
        self.texts = texts
        self.chars = chars
        self.json = json

    def results(self) -> list[ScanResult]:
        """The results, unread."""
        # PERF: two slots and no tuple per result, which halves what the
        # cyclic garbage collector tracks (0.2 microsecond a result).
        out = []
        for i in range(len(self.chars)):
            r = _alloc(ScanResult)
            r._pending = self
            r._index = i
            out.append(r)
        return out

    def read(self, r: ScanResult, index: int, whole: bool) -> None:
        """Reads result ``index`` into ``r``: its scalars, and with
        ``whole`` everything. Any thread; ``self`` stays alive while it
        runs, even if another thread finishes reading ``r`` first."""
        read = reader(self.lib)
        res = read.get(self.ptr, index)
        if not whole:
            read.scalars(r, res)
            return
        text = None if self.texts is None else self.texts[index]
        read.whole(
            r, res, self.chars[index], text, self.json, self.types,
            self.actions,
        )

    def __del__(self) -> None:
        ptr, self.ptr = self.ptr, 0
        # N.B. freeing runs on the library's pool, which a forked child
        # lacks: there the batch is left to the child's exit (_pool).
        if ptr and _pool.usable():
            try:
                self.lib.batch_free(ptr)
            except Exception:  # at interpreter exit
                pass

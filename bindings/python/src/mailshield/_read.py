"""Copying a native result into a ``ScanResult``.

A ``Reader`` holds the out-parameters of the accessor calls, made once
and reused for every result it reads, so that reading a batch allocates
no ctypes objects per message. A reader belongs to one thread for the
length of one call (its out-parameters are shared state).

PERF: every ctypes call costs about 0.2 microseconds, which is most of
what reading a result costs, so the reader makes as few as it can: the
arrays (findings, keywords, texts) are copied whole and split with
``struct``, not read field by field, and the recommended actions are
read once per level per call (see ``Reader.actions``). The numbers are
in ``bench/bench_batch.py``.
"""

from __future__ import annotations

import ctypes
from ctypes import addressof, c_size_t, c_void_p

from . import _native as n
from .result import LABELS, LEVELS, Field, Finding, Keyword, ScanResult

_string_at = ctypes.string_at
_new = tuple.__new__

# The one field of a text scan (MAILSHIELD_INPUT_TEXT).
BODY = ("body",)


class Reader:
    """Reads results of one engine; one thread at a time."""

    __slots__ = (
        "lib",
        "types",
        "items",
        "count",
        "out",
        "summary",
        "summary_at",
        "json_text",
        "json_at",
        "actions_by_level",
    )

    def __init__(self, lib: n.Library, types: tuple[str, ...]) -> None:
        self.lib = lib
        self.types = types
        self.items = c_void_p()
        self.count = c_size_t()
        self.out = (addressof(self.items), addressof(self.count))
        self.summary = n.Summary()
        self.summary_at = addressof(self.summary)
        self.json_text = n.Text()
        self.json_at = addressof(self.json_text)
        self.actions_by_level: dict[int, list[str]] = {}

    def array(self, fn, res: int, size: int) -> bytes:
        """The raw bytes of the list ``fn`` gives for result ``res``."""
        status = fn(res, *self.out)
        if status:
            self.lib.check(status)
        count = self.count.value
        if not count:
            return b""
        return _string_at(self.items.value, count * size)

    def texts(self, fn, res: int) -> list[str]:
        """The texts of the list ``fn`` gives for result ``res``."""
        raw = self.array(fn, res, 16)
        if not raw:
            return []
        return [
            _string_at(p, k).decode() for p, k in n.TEXT.iter_unpack(raw)
        ]

    def actions(self, res: int, level: int) -> list[str]:
        """The recommended actions of a result at ``level``.

        N.B. read once per level: the header defines them as "the
        actions the level's policy recommends", a function of the engine
        and the level alone. Each result gets its own list.
        """
        known = self.actions_by_level.get(level)
        if known is None:
            known = self.texts(self.lib.result_recommended_actions, res)
            self.actions_by_level[level] = known
        return known[:]

    def fields(self, res: int) -> tuple[Field, ...]:
        """The fields of a message result, their text as bytes."""
        raw = self.array(self.lib.result_fields, res, n.FIELD.size)
        return tuple(
            _new(Field, (_string_at(p, k).decode(), n.string_at(tp, tk)))
            for p, k, tp, tk in n.FIELD.iter_unpack(raw)
        )

    def findings(self, res: int, chars: bool, names) -> list[Finding]:
        raw = self.array(self.lib.result_findings, res, n.FINDING.size)
        if not raw:
            return []
        types = self.types
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
        return out

    def keywords(self, res: int, chars: bool, names) -> list[Keyword]:
        raw = self.array(self.lib.result_keywords, res, n.KEYWORD.size)
        if not raw:
            return []
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
        return out

    def result(
        self,
        res: int,
        chars: bool,
        fields: tuple[Field, ...] | None,
        json: bool,
    ) -> ScanResult:
        """Copies the result ``res`` out.

        ``chars`` picks code point offsets (else bytes). ``fields`` are
        given by the caller for a text scan, whose one field is ``body``
        holding the input (N.B. the header promises that shape for
        ``MAILSHIELD_INPUT_TEXT``); when None, they are read from the
        result.
        """
        lib = self.lib
        if fields is None:
            fields = self.fields(res)
            names = tuple(f.name for f in fields)
        else:
            names = BODY

        status = lib.result_summary(res, self.summary_at)
        if status:
            lib.check(status)
        level, _, _, confidence, complete, id_ptr, id_len = (
            n.SUMMARY.unpack_from(self.summary)
        )
        return _new(
            ScanResult,
            (
                _string_at(id_ptr, id_len).decode(),
                LEVELS[level],
                LABELS[level],
                confidence,
                complete,
                self.findings(res, chars, names),
                self.keywords(res, chars, names),
                self.texts(lib.result_risk_factors, res),
                self.actions(res, level),
                self.texts(lib.result_warnings, res),
                self.texts(lib.result_errors, res),
                fields,
                self.json(res) if json else None,
            ),
        )

    def json(self, res: int) -> str:
        """The JSON line of a result."""
        status = self.lib.result_json(res, self.json_at)
        if status:
            self.lib.check(status)
        ptr, length = n.TEXT.unpack_from(self.json_text)
        return _string_at(ptr, length).decode()

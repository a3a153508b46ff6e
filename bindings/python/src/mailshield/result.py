"""What a scan gives back: ``ScanResult`` and the values inside it.

A ``ScanResult`` is plain Python data, copied out of the library's
result object: whole before a scan call returns, or, for a batch, the
classification at once and the rest on first use (see ``ScanResult``).
Results can be kept, pickled and shared between threads.

Offsets (``start``, ``end`` of findings and keywords) are in the unit of
the input: code points when the input was a ``str``, bytes when it was
``bytes`` (and for raw messages and streams fed bytes). So
``field.text[finding.start:finding.end]`` is the matched value in either
case, where ``field`` is the result's field of that finding's name.

Values are never returned in clear: ``Finding.masked`` is the library's
masked form (``***1234``, ``***@example.com``, ``***``).
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from . import _native as n

__all__ = [
    "Level",
    "Finding",
    "Keyword",
    "Field",
    "ScanResult",
    "Protected",
]


class Level(enum.IntEnum):
    """A classification level, in increasing sensitivity.

    The values are the ABI's (``MAILSHIELD_LEVEL_*``); the name in JSON
    is ``level.label``.
    """

    PUBLIC = n.LEVEL_PUBLIC
    INTERNAL = n.LEVEL_INTERNAL
    CONFIDENTIAL = n.LEVEL_CONFIDENTIAL
    RESTRICTED = n.LEVEL_RESTRICTED

    @property
    def label(self) -> str:
        """The lower-case name used in JSON: ``"restricted"``."""
        return self.name.lower()


# Indexed by the ABI's level number, to skip Level() in the hot path.
LEVELS = tuple(Level)
LABELS = tuple(level.label for level in Level)


class Finding(NamedTuple):
    """One entity found in one field."""

    #: The entity type: ``EMAIL``, ``CREDIT_CARD``, ...
    type: str
    #: The name of the field it is in: ``body``, ``subject``, ``from``...
    field: str
    #: Start, in code points for ``str`` input, else in bytes.
    start: int
    #: End (exclusive), in the same unit.
    end: int
    #: Its score, 0 to 1, rounded to four decimals.
    score: float
    #: True only when a validator (Luhn, a checksum) confirmed it.
    validated: bool
    #: The value masked (``***1234``); the clear value is never given.
    masked: str


class Keyword(NamedTuple):
    """One sensitive keyword found in one field."""

    #: The keyword as the pack lists it.
    keyword: str
    #: The name of the field it is in.
    field: str
    #: Start, in code points for ``str`` input, else in bytes.
    start: int
    #: End (exclusive), in the same unit.
    end: int
    #: True when it lies in a disclaimer footer (it does not classify).
    in_footer: bool


class Field(NamedTuple):
    """A field of the message as scanned, with the text offsets index.

    ``text`` is the input itself for a ``str`` or ``bytes`` scan (one
    field, ``body``), the decoded UTF-8 text as ``bytes`` for a raw
    message, and empty for a stream's result (a stream keeps no text).
    """

    name: str
    text: str | bytes


# The parts of a result, in order; the first four are its scalars (see
# ScanResult).
PARTS = (
    "level",
    "classification",
    "confidence",
    "complete",
    "id",
    "findings",
    "keywords",
    "risk_factors",
    "recommended_actions",
    "warnings",
    "errors",
    "fields",
    "json",
)
_ALL = frozenset(PARTS)
_SCALARS = frozenset(PARTS[:4])


class ScanResult:
    """The findings, keywords and classification of one message.

    Plain data: comparable (``==``), picklable, safe to share between
    threads. A result of ``Engine.scan`` (and ``scan_message``,
    ``protect``, a stream) is copied out whole before the call returns.
    A result of ``Engine.scan_batch`` is copied out of the library's
    batch the first time it is used: the level, classification,
    confidence and ``complete`` alone when one of them is asked for,
    everything when anything else is. The library's batch is freed once
    every result of it has been read whole or dropped.
    """

    # A batch result not read whole yet: its batch, and its index there.
    __slots__ = PARTS + ("_pending", "_index")

    #: The classification as a ``Level``.
    level: Level
    #: The same as its lower-case name: ``"restricted"``.
    classification: str
    #: The confidence of the rule that decided the level.
    confidence: float
    #: Every byte was read and scanned; when false, ``errors`` says why.
    complete: bool
    #: The record's id: the Message-ID without angle brackets, else
    #: ``-#0`` (``-#i`` for the ``i``-th message of a batch).
    id: str
    #: The findings, sorted by field, then start.
    findings: tuple[Finding, ...]
    #: The keyword hits, sorted by field, then start.
    keywords: tuple[Keyword, ...]
    #: The reasons for the level, in rule order.
    risk_factors: tuple[str, ...]
    #: What the level's policy recommends.
    recommended_actions: tuple[str, ...]
    #: Warnings of decoding (a skipped MIME part, a parser fallback).
    warnings: tuple[str, ...]
    #: What left part of the message unread or unscanned.
    errors: tuple[str, ...]
    #: The fields of the message, in field order.
    fields: tuple[Field, ...]
    #: The JSON line ``mailshield scan`` prints for the message, when the
    #: call was asked for it (``json=True``); else None.
    json: str | None

    def __init__(
        self,
        level: Level,
        classification: str,
        confidence: float,
        complete: bool,
        id: str,
        findings: tuple[Finding, ...],
        keywords: tuple[Keyword, ...],
        risk_factors: tuple[str, ...],
        recommended_actions: tuple[str, ...],
        warnings: tuple[str, ...],
        errors: tuple[str, ...],
        fields: tuple[Field, ...],
        json: str | None = None,
    ) -> None:
        values = (
            level, classification, confidence, complete, id, findings,
            keywords, risk_factors, recommended_actions, warnings, errors,
            fields, json,
        )
        for name, value in zip(PARTS, values):
            object.__setattr__(self, name, value)
        self._pending = None

    def __getattr__(self, name: str):
        # Only called for a part not set yet, of a batch result: read it
        # now, the scalars alone if one of them is asked for.
        if name not in _ALL:
            raise AttributeError(name)
        batch = self._pending
        if batch is None:
            raise AttributeError(name)
        batch.read(self, self._index, name not in _SCALARS)
        return object.__getattribute__(self, name)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in PARTS)

    def replace(self, **parts: object) -> ScanResult:
        """A copy with some parts changed."""
        values = dict(zip(PARTS, self._values()))
        values.update(parts)
        return ScanResult(**values)

    def field(self, name: str) -> Field:
        """The field called ``name``.

        Raises:
            ``KeyError`` when the message has no such field.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        """The number of findings of each type, in order of first finding."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.type] = out.get(f.type, 0) + 1
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        return (ScanResult, self._values())

    def __repr__(self) -> str:
        # The fields hold the whole text: not in the repr.
        return (
            f"ScanResult(id={self.id!r}, classification="
            f"{self.classification!r}, findings={len(self.findings)}, "
            f"keywords={len(self.keywords)}, complete={self.complete})"
        )


class Protected(NamedTuple):
    """The protected copy of a message, from ``Engine.protect``.

    ``body`` and ``subject`` have the type of the input (``str`` for a
    ``str``, else ``bytes``).
    """

    #: What the scan found; offsets index the original, not ``body``.
    result: ScanResult
    #: The redacted (and, where the policy says, truncated) body, in
    #: clear.
    body: str | bytes
    #: The sealed body (an ``ms1:`` envelope or a Fernet token) when the
    #: level's policy requires encryption and a cipher was asked for;
    #: else None.
    sealed: str | None
    #: The redacted subject when the pack scans subjects; else None.
    subject: str | bytes | None
    #: What was done, in the guide's wording ("Replaced 1 SSN
    #: instances").
    log: tuple[str, ...]

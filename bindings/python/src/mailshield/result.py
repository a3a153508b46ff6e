"""What a scan gives back: ``ScanResult`` and the values inside it.

A ``ScanResult`` is plain Python data (a named tuple), copied out of the
library's result object, which is freed before the scan call returns:
results can be kept, pickled and shared between threads without any
native handle behind them.

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


class ScanResult(NamedTuple):
    """The findings, keywords and classification of one message.

    A named tuple: immutable, comparable, picklable, with no native
    handle behind it.
    """

    #: The record's id: the Message-ID without angle brackets, else
    #: ``-#0`` (``-#i`` for the ``i``-th message of a batch).
    id: str
    #: The classification as a ``Level``.
    level: Level
    #: The same as its lower-case name: ``"restricted"``.
    classification: str
    #: The confidence of the rule that decided the level.
    confidence: float
    #: Every byte was read and scanned; when false, ``errors`` says why.
    complete: bool
    #: The findings, sorted by field, then start.
    findings: list[Finding]
    #: The keyword hits, sorted by field, then start.
    keywords: list[Keyword]
    #: The reasons for the level, in rule order.
    risk_factors: list[str]
    #: What the level's policy recommends.
    recommended_actions: list[str]
    #: Warnings of decoding (a skipped MIME part, a parser fallback).
    warnings: list[str]
    #: What left part of the message unread or unscanned.
    errors: list[str]
    #: The fields of the message, in field order.
    fields: tuple[Field, ...]
    #: The JSON line ``mailshield scan`` prints for the message, when the
    #: call was asked for it (``json=True``); else None.
    json: str | None

    def field(self, name: str) -> Field:
        """The field called ``name``.

        # Errors

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
    log: list[str]

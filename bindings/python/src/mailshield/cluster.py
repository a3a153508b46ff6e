"""Backfills on a cluster: engines built where they run, batches in,
plain Python data out.

A Spark or Dask job ships its functions and their arguments to worker
processes by pickling them. An ``Engine`` is a pointer into one
process's memory and cannot travel; an ``EngineSpec`` can: the pack's
name or TOML text and the options (whether to protect, the cipher, the
key file), a few hundred bytes at most. Each worker process builds the
engine (and key set) of a spec once, the first time it needs it, and
reuses it for every later batch (``EngineSpec.engine``).

``scan_rows(spec, kind, data, paths, indexes)`` is the batch call: many
messages (JSONL record lines, raw RFC 5322 messages or plain texts) in
one call of the library, which scans them on its own threads, and one
``dict`` per message back, made of ``str``, ``int``, ``float``,
``bool``, ``list`` and ``dict`` only (``ROW_DDL`` gives its schema).
Each row holds the record ``mailshield scan`` prints for the message
(SPEC 6.1), parsed, and that record as a JSON line; with a cipher in
the spec, also the storage record ``mailshield protect`` writes. A job
that gives the same bytes, paths and indexes as the command line reads
gets the command line's records (tests/test_spark.py and
tests/test_dask.py check it, message for message).

Ids follow the command line: a record's own ``id`` or a message's
Message-ID, else ``"<path>#<index>"``; ``source`` is ``{"path",
"index"}`` as the caller gives them.

Keys: a spec names a key-set file (``key_file``, a ``mailshield keygen``
file at the same path on every worker), else each worker reads the
Fernet key in its ``MAILSHIELD_KEY`` environment variable, as the
command line does. No key is ever part of a spec, so none is pickled,
logged by a scheduler or kept in a task graph.

Limits, plainly:
- The protected record has no ``access_policy``: the ABI does not give a
  pack's policy table. Everything else is the command line's.
- Protection is one library call per message (the ABI has no protect
  batch); scanning alone is one call per batch.
- N.B. a record whose own ``id`` is ``-#i``, at place ``i`` of its
  batch, is taken as having none (that is the library's default id).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import os
import threading
from collections.abc import Sequence
from typing import Any, Literal

from .engine import Engine
from .errors import KeySetError, MailshieldError, Status
from .keys import Cipher, KeySet
from .result import Protected

__all__ = ["EngineSpec", "Kind", "ROW_COLUMNS", "ROW_DDL", "scan_rows"]

#: What a batch holds: JSONL record lines (without their newline), raw
#: RFC 5322 messages, or plain texts (one field, ``body``).
Kind = Literal["record", "message", "text"]

#: The schema of a row of ``scan_rows``, in Spark's DDL.
ROW_DDL = (
    "id string, path string, index bigint, classification string, "
    "confidence double, complete boolean, "
    "findings array<struct<type: string, field: string, start: bigint, "
    "end: bigint, score: double, validated: boolean, masked: string>>, "
    "keywords array<struct<keyword: string, field: string, "
    "start: bigint, end: bigint, in_footer: boolean>>, "
    "counts map<string, bigint>, risk_factors array<string>, "
    "recommended_actions array<string>, warnings array<string>, "
    "errors array<string>, record string, protected string"
)

#: The keys of a row, in ``ROW_DDL``'s order.
ROW_COLUMNS = (
    "id", "path", "index", "classification", "confidence", "complete",
    "findings", "keywords", "counts", "risk_factors",
    "recommended_actions", "warnings", "errors", "record", "protected",
)

# The JSONL keys the library scans or takes as the id; others are kept.
_RECORD_KEYS = frozenset(("id", "body", "subject", "sender_email"))


#: The ciphers by the names the command line gives them.
CIPHERS: dict[str, Cipher] = {
    "aes-256-gcm": Cipher.AES_256_GCM,
    "fernet": Cipher.FERNET,
    "none": Cipher.NONE,
}


@dataclasses.dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to build its engine: small, picklable.

    Args:
        pack: a built-in pack, ``"default"`` (the default) or ``"seed"``.
        toml: instead of ``pack``, a custom pack's TOML text.
        cipher: when set, rows also carry the protected record, sealed
            with this cipher (``Cipher.NONE``: redacted, in clear).
        key_file: a key-set file readable at this path by every worker;
            when None, workers read ``MAILSHIELD_KEY`` (a Fernet key).

    Raises:
        ``TypeError`` when both ``pack`` and ``toml`` are given.
    """

    pack: str | None = None
    toml: str | None = None
    cipher: Cipher | None = None
    key_file: str | None = None

    def __post_init__(self) -> None:
        if self.pack is not None and self.toml is not None:
            raise TypeError("give either pack or toml, not both")

    @classmethod
    def from_options(
        cls,
        pack: str = "default",
        cipher: str | None = None,
        key_file: str | None = None,
    ) -> EngineSpec:
        """The spec for a job's command-line options, as the example jobs
        take them: ``pack`` a built-in pack's name or a TOML file's path
        (read here, so that workers need not see the file), ``cipher`` a
        name of ``CIPHERS``, ``key_file`` a path, made absolute.

        Raises:
            ``KeyError`` for an unknown cipher name; ``OSError`` when the
            pack file cannot be read.
        """
        toml = None
        if pack not in ("default", "seed"):
            with open(pack, encoding="utf-8") as f:
                pack, toml = None, f.read()
        return cls(
            pack=pack,
            toml=toml,
            cipher=CIPHERS[cipher] if cipher else None,
            key_file=os.path.abspath(key_file) if key_file else None,
        )

    def engine(self) -> Engine:
        """This process's engine for the spec, built on first use.

        Raises:
            ``RulesError`` for an unknown pack or a TOML pack that does not
            compile; ``LibraryError`` when the library cannot be loaded.
        """
        return _built(self)[0]

    def keys(self) -> KeySet | None:
        """This process's key set for the spec: None without a cipher,
        or for ``Cipher.NONE`` when no key is configured.

        Raises:
            ``KeySetError`` when the key file or ``MAILSHIELD_KEY`` does
            not load (the message never quotes a key), or when no key is
            configured and the cipher needs one.
        """
        return _built(self)[1]

    def __repr__(self) -> str:
        # A TOML pack can be long: its size, not its text.
        pack = f"toml=<{len(self.toml)} chars>" if self.toml else (
            f"pack={self.pack or 'default'!r}"
        )
        cipher = self.cipher.name if self.cipher is not None else None
        return (
            f"EngineSpec({pack}, cipher={cipher}, "
            f"key_file={self.key_file!r})"
        )


# Per process: spec -> (pid, engine, keys). The pid check gives a
# forked child engines of its own. N.B. that does not make batches work
# there: the library's thread pool is global and has no threads in a
# child forked after it started, so such a child is refused batches
# (see _pool); single calls work.
_cache: dict[EngineSpec, tuple[int, Engine, KeySet | None]] = {}
_cache_lock = threading.Lock()


def _built(spec: EngineSpec) -> tuple[Engine, KeySet | None]:
    """The engine and keys of ``spec`` in this process.

    Raises:
        as ``EngineSpec.engine`` and ``EngineSpec.keys``.
    """
    pid = os.getpid()
    with _cache_lock:
        hit = _cache.get(spec)
        if hit is not None and hit[0] == pid:
            return hit[1], hit[2]
        engine = Engine(spec.pack, toml=spec.toml)
        keys = _load_keys(spec)
        _cache[spec] = (pid, engine, keys)
        return engine, keys


def _load_keys(spec: EngineSpec) -> KeySet | None:
    """The key set a spec names, or None when it needs none.

    Raises:
        ``KeySetError`` when the configured key does not load, or a cipher
        needs a key and none is configured.
    """
    if spec.cipher is None:
        return None
    if spec.key_file is not None:
        return KeySet.load(spec.key_file)
    fernet = os.environ.get("MAILSHIELD_KEY")
    if fernet:
        return KeySet.from_fernet_key(fernet)
    if spec.cipher == Cipher.NONE:
        return None
    raise KeySetError(
        Status.KEY, "no key: give key_file or set MAILSHIELD_KEY"
    )


def scan_rows(
    spec: EngineSpec,
    kind: Kind,
    data: Sequence[bytes],
    paths: Sequence[str],
    indexes: Sequence[int],
) -> list[dict[str, Any]]:
    """Scans a batch in one library call: one row per message, in order.

    ``data[i]`` is the ``i``-th message, which came from ``paths[i]`` at
    position ``indexes[i]`` (a JSONL line, from 0; 0 for a message
    file). A row has the keys of ``ROW_DDL``: the SPEC 6.1 record's
    parts (``source`` as ``path`` and ``index``), ``record``, that
    record as one JSON line, and ``protected``, the storage record of
    ``mailshield protect`` as one JSON line when the spec has a cipher,
    else None.

    A message that cannot be read (a line that is not JSON) still gets
    its row, with ``complete`` false and ``errors``; one that cannot be
    protected gets a protected record holding only its id, source and
    errors, as the command line writes it.

    Raises:
        ``ValueError`` when the sequences differ in length or ``kind`` is
        unknown; as ``EngineSpec.engine`` and ``EngineSpec.keys``.
    """
    if not len(data) == len(paths) == len(indexes):
        raise ValueError("data, paths and indexes differ in length")
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    engine, keys = _built(spec)

    # One library call for the batch; the lines are the command line's.
    lines = engine.scan_lines(
        data, messages=kind == "message", records=kind == "record"
    )
    rows = [
        _row(line, i, path, index, kind == "record")
        for i, (line, path, index) in enumerate(zip(lines, paths, indexes))
    ]

    # Protection, one call each, bound to the row's id.
    if spec.cipher is not None:
        for row, raw in zip(rows, data):
            row["protected"] = _protected_line(
                engine, keys, spec.cipher, kind, raw, row
            )
    return rows


_KINDS = ("record", "message", "text")
# JSON as the command line writes it: no spaces.
_COMPACT = (",", ":")


def _row(
    line: str, i: int, path: str, index: int, record: bool
) -> dict[str, Any]:
    """A row from the ``i``-th JSON line of a batch, with the caller's
    source and the command line's id (and, for a JSONL record, its line
    number in errors)."""
    rec = json.loads(line)
    if rec["id"] == f"-#{i}":
        rec["id"] = f"{path}#{index}"
    if record and rec["errors"]:
        # N.B. the library numbers a record by its place in the batch.
        ours, theirs = f"line {i + 1}: ", f"line {index + 1}: "
        rec["errors"] = [
            theirs + e[len(ours):] if e.startswith(ours) else e
            for e in rec["errors"]
        ]
    rec["source"] = {"path": path, "index": index}
    row = {key: rec.get(key) for key in ROW_COLUMNS}
    row["path"] = path
    row["index"] = index
    row["record"] = json.dumps(
        rec, ensure_ascii=False, separators=_COMPACT
    )
    return row


def _protected_line(
    engine: Engine,
    keys: KeySet | None,
    cipher: Cipher,
    kind: Kind,
    raw: bytes,
    row: dict[str, Any],
) -> str:
    """The storage record of one message as a JSON line, or the error
    record when it cannot be protected."""
    call = {
        "record": engine.protect_record,
        "message": engine.protect_message,
        "text": engine.protect,
    }[kind]
    source = {"path": row["path"], "index": row["index"]}
    try:
        p = call(raw, keys=keys, cipher=cipher, message_id=row["id"])
    except MailshieldError as e:
        # N.B. the library's messages never quote a value or a key.
        out = {"email_id": row["id"], "source": source, "errors": [e.message]}
        return json.dumps(
            out, ensure_ascii=False, separators=_COMPACT
        )
    out = _storage(p, row, source, engine.entity_order)
    if kind == "record":
        _add_extra(out, raw)
    return json.dumps(out, ensure_ascii=False, separators=_COMPACT)


def _storage(
    p: Protected,
    row: dict[str, Any],
    source: dict[str, Any],
    order: tuple[str, ...],
) -> dict[str, Any]:
    """The guide's storage record, as ``mailshield protect`` writes it
    (less ``access_policy``)."""
    r = p.result
    fields = {f.name: f.text for f in r.fields}
    out: dict[str, Any] = {"email_id": row["id"]}
    # Sender: the record's key, else the message's From.
    sender = fields.get("sender_email", fields.get("from"))
    _text_or_base64(out, "sender_email", sender)
    # Subject: redacted when the pack protects it, else as it was.
    subject = p.subject if p.subject is not None else fields.get("subject")
    _text_or_base64(out, "subject", subject)
    if p.sealed is not None:
        out["body"] = p.sealed
    else:
        _text_or_base64(out, "body", p.body)
    out["classification"] = r.classification
    out["pii_detected"] = _pii(row, order)
    out["sanitization_log"] = list(p.log)
    now = datetime.datetime.now(datetime.timezone.utc)
    out["created_at"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["source"] = source
    if row["errors"]:
        out["errors"] = list(row["errors"])
    return out


def _pii(
    row: dict[str, Any], order: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Per type, in the engine's report order: the count and the first
    two masked examples."""
    out = []
    counts = row["counts"]
    for ty in (t for t in order if t in counts):
        count = counts[ty]
        examples = [f["masked"] for f in row["findings"] if f["type"] == ty]
        out.append({"type": ty, "count": count, "examples": examples[:2]})
    return out


def _text_or_base64(
    out: dict[str, Any], key: str, value: str | bytes | None
) -> None:
    """``value`` under ``key`` as text, or under ``key_base64`` when it
    is not UTF-8 (JSON strings carry UTF-8 only); null when absent."""
    if value is None:
        out[key] = None
        return
    if isinstance(value, str):
        out[key] = value
        return
    try:
        out[key] = value.decode()
    except UnicodeDecodeError:
        out[f"{key}_base64"] = base64.b64encode(value).decode("ascii")


def _add_extra(out: dict[str, Any], raw: bytes) -> None:
    """A record's other keys, kept as the command line keeps them."""
    try:
        rec = json.loads(raw)
    except ValueError:
        return
    if not isinstance(rec, dict):
        return
    for key, value in rec.items():
        if key not in _RECORD_KEYS:
            out.setdefault(key, value)

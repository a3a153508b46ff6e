"""The engine: a compiled rule pack, and the calls that scan with it.

``Engine(pack="default")`` compiles a built-in pack (``default`` or
``seed``), ``Engine(toml=...)`` a custom one (SPEC section 2.3). An
engine is thread-safe: share one between all threads. Every scan call
releases the GIL while the library works, so threads scan in parallel.
An engine cannot be pickled: a process that needs one (a Spark or Dask
worker) builds its own from a ``mailshield.cluster.EngineSpec``.

The calls:

- ``scan(text)``: one text, the one field ``body``;
- ``scan_message(raw)``: a raw RFC 5322 message, decoded into fields as
  the command line decodes a message file;
- ``scan_record(line)``: one JSONL record, read as the command line
  reads a line of a ``.jsonl`` file (fields ``body``, ``subject``,
  ``sender_email``; the record's ``id``);
- ``scan_batch(texts)``: many texts (or raw messages, or records) in one
  call, scanned on every core inside the library;
- ``scan_lines(items)``: the same batch, giving only each result's JSON
  line (what ``mailshield scan`` prints), the cheapest way to plain data;
- ``protect(text)``: scan, redact and (where the level's policy says)
  seal, in one pass;
- ``stream()``: a ``Stream`` that is fed one message in pieces.

Offsets follow the input: code points for ``str``, bytes for ``bytes``.
A ``str`` is encoded to UTF-8 for the library, which costs one copy; one
with lone surrogates (which UTF-8 cannot hold) raises
``UnicodeEncodeError``: encode it yourself (``errors="surrogatepass"``
passes them through as invalid bytes) and get byte offsets.

Limits (the library's): a message over 64 MiB is not scanned whole
(under the ``seed`` pack its result says ``complete`` false); the
``seed`` pack cannot stream. After ``fork``, a child of a process that
ran a batch cannot run one (``StateError``: the library's thread pool
has no threads there; see ``mailshield._pool``); the other calls work.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from ctypes import byref, c_void_p
from typing import NoReturn

from . import _native as n
from . import _pool
from ._handle import Handle
from ._read import Batch, read_whole, reader
from .keys import Cipher, KeySet, to_bytes
from .result import Level, Protected, ScanResult

__all__ = ["Engine", "Stream"]


def _encode(text: str | bytes) -> tuple[bytes, bool]:
    """The bytes for the library, and whether offsets are code points.

    Raises:
        ``UnicodeEncodeError`` for a ``str`` with lone surrogates, which UTF-8
        cannot hold (the code points of the library's offsets would not be the
        ``str``'s).
    """
    if isinstance(text, str):
        return text.encode(), True
    if isinstance(text, bytes):
        return text, False
    if isinstance(text, (bytearray, memoryview)):
        return bytes(text), False
    raise TypeError(f"expected str or bytes, not {type(text).__name__}")


def _encode_all(
    items: Sequence[str | bytes],
) -> tuple[list[bool], list[bytes]]:
    """Whether each item is a ``str``, and the bytes of each.

    Raises:
        as ``_encode``.
    """
    # PERF: whole-list operations, not a Python call per str; a list of
    # text alone is encoded by one map.
    chars = [isinstance(t, str) for t in items]
    if all(chars):
        return chars, list(map(str.encode, items))
    data = [
        t.encode() if c else _encode(t)[0] for t, c in zip(items, chars)
    ]
    return chars, data


def _batch_kind(messages: bool, records: bool) -> int:
    """The input kind of a batch.

    Raises:
        ``TypeError`` when both are asked for.
    """
    if messages and records:
        raise TypeError("give messages or records, not both")
    if messages:
        return n.INPUT_MESSAGE
    return n.INPUT_RECORD if records else n.INPUT_TEXT


# How ``Engine._scan_parts`` cuts a batch: in about _PARTS parts, each
# of _PART_MIN to _PART_MAX items, with up to _FLIGHT of them started
# and not yet waited for. The first part's encoding overlaps nothing, so
# parts are short. Many in flight keep the pool busy: the oldest part is
# often done late (a worker waiting inside it picks up a later part's
# work first), and with fewer the pool ran out of started parts while
# this thread waited; with 2 in flight the cores idled 15-20% of a
# 10,000-message batch, with 16 about 5% (BENCHMARKS.md).
_PARTS = 64
_PART_MIN = 64
_PART_MAX = 512
_FLIGHT = 16


#: What ``Engine._scan_parts`` makes of a part's batch: ``take(ptr,
#: part, chars, data)`` gets the batch (its own, to free or keep), the
#: part's items, whether each is a ``str`` and the bytes of each.
Take = Callable[[int, Sequence, list[bool], list[bytes]], list]


class _Part:
    """One part of a batch, started on the library's pool.

    N.B. ``keep`` holds the bytes the library reads until the pending
    batch in ``out`` is waited for or freed: ``drop`` frees it first and
    only then lets go of them. ``out`` is made before the start, so that
    the library writes the handle where ``drop`` finds it, whatever
    interrupts this thread.
    """

    __slots__ = ("out", "first", "part", "chars", "data", "keep")

    @classmethod
    def prepare(cls, part: Sequence, first: int) -> _Part:
        """Encodes ``part``, numbered from ``first``, for ``start``.

        Raises:
            as ``_encode``.
        """
        # One buffer the input array points into.
        # PERF: whole-list operations, not a Python call per item.
        chars, data = _encode_all(part)
        count = len(data)
        blob = b"".join(data)
        lengths = array(n.SIZE_T, map(len, data))
        starts = itertools.accumulate(lengths, initial=n.address_of(blob))
        pairs = array(n.SIZE_T, bytes(2 * count * lengths.itemsize))
        pairs[0::2] = array(n.SIZE_T, starts)[:-1]
        pairs[1::2] = lengths
        inputs = (n.Bytes * count).from_buffer(pairs)
        self = cls()
        self.out, self.first = c_void_p(), first
        self.part, self.chars, self.data = part, chars, data
        self.keep = (blob, pairs, inputs)
        return self

    def start(self, lib: n.Library, engine: int, kind: int) -> None:
        """Starts the scan on the library's pool.

        Raises:
            the library's error when the start fails.
        """
        inputs = self.keep[2]
        lib.check(
            lib.scan_batch_start(
                engine, inputs, len(inputs), kind, self.first,
                byref(self.out),
            )
        )

    def finish(self, lib: n.Library, take: Take) -> list:
        """Waits for the scan and gives what ``take`` makes of it.

        Raises:
            the library's error when the wait fails; what ``take``
            raises.
        """
        batch = c_void_p()
        try:
            lib.check(lib.pending_wait(self.out, byref(batch)))
        finally:
            self.drop(lib)
        return take(batch.value or 0, self.part, self.chars, self.data)

    def drop(self, lib: n.Library) -> None:
        """Frees the pending batch (waiting for its scan first when not
        waited on), then lets go of the inputs; again, does nothing."""
        pending, self.out.value = self.out.value, None
        if pending:
            lib.pending_free(pending)
        self.keep = None


class Engine(Handle):
    """A compiled rule pack.

    Args:
        pack: the name of a built-in pack, ``"default"`` (the default)
            or ``"seed"`` (the guide's behaviour, SPEC section 2.1).
        toml: instead of ``pack``, the TOML text of a custom pack.

    Compiling takes milliseconds (under 20 ms for the built-in packs):
    make one engine and reuse it.

    Raises:
        ``RulesError`` for an unknown pack name or a custom pack that does not
        parse or compile (the message names the detector); ``LibraryError``
        when the library cannot be loaded.
    """

    __slots__ = ("_lib", "_entities", "_order", "_actions", "pack")
    _what = "engine"

    def __init__(
        self, pack: str | None = None, *, toml: str | None = None
    ) -> None:
        if pack is not None and toml is not None:
            raise TypeError("give either pack or toml, not both")
        lib = n.library()
        out = c_void_p()
        if toml is not None:
            data = to_bytes(toml, "toml")
            lib.check(lib.engine_from_toml(data, len(data), byref(out)))
        else:
            name = "default" if pack is None else pack
            lib.check(lib.engine_new(name.encode(), byref(out)))
        super().__init__(out.value or 0, lib.engine_free)
        self._lib = lib
        #: The pack's name as given (``"<toml>"`` for a custom pack).
        self.pack = "<toml>" if toml is not None else (pack or "default")
        self._entities, self._order = self._read_entities()
        # The recommended actions by level, as results read them (any
        # thread stores only the one tuple a level has).
        self._actions: dict[int, tuple[str, ...]] = {}

    def _read_entities(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The entity table, and its names in report order."""
        lib = self._lib
        items, count = c_void_p(), n.c_size_t()
        ptr = self._acquire()
        try:
            lib.check(lib.engine_entities(ptr, byref(items), byref(count)))
            names = n.texts_at(items.value or 0, count.value)
            lib.check(
                lib.engine_entity_order(ptr, byref(items), byref(count))
            )
            order = n.uint32s_at(items.value or 0, count.value)
        finally:
            self._release()
        return names, tuple([names[i] for i in order])

    @property
    def entities(self) -> tuple[str, ...]:
        """The pack's entity table: every type a finding can have, in the
        table's order (a pack need not detect all of them: the ``seed``
        pack finds five of these)."""
        return self._entities

    @property
    def entity_order(self) -> tuple[str, ...]:
        """The same types in the order reports list them (the guide's
        ``detected_pii``, the log of ``protect``): as the pack's
        detectors first name them, then the others. For the ``seed``
        pack it begins with the guide's five."""
        return self._order

    def scan(self, text: str | bytes, *, json: bool = False) -> ScanResult:
        """Scans one text: findings, keywords, level.

        Offsets are code points for a ``str``, bytes for ``bytes``. With
        ``json=True`` the result also carries the JSON line.

        Linear in the text; releases the GIL while scanning.
        """
        data, chars = _encode(text)
        original = text if chars else data
        return self._scan_one(data, n.INPUT_TEXT, chars, original, json)

    def scan_message(self, raw: bytes, *, json: bool = False) -> ScanResult:
        """Scans a raw RFC 5322 message (headers and body, as bytes).

        The message is decoded (MIME parts, transfer encodings, RFC 2047
        words) into fields: ``from``, ``to``, ``cc``, ``reply-to``,
        ``subject``, ``body``, ``body.1``... Offsets are bytes into the
        decoded UTF-8 text of each field, ``result.fields``. A message
        that cannot be parsed is scanned as raw bytes (field ``raw``) and
        ``result.warnings`` says so.
        """
        data, _ = _encode(raw)
        return self._scan_one(data, n.INPUT_MESSAGE, False, None, json)

    def scan_record(
        self, line: str | bytes, *, json: bool = False
    ) -> ScanResult:
        """Scans one JSONL record: a JSON object, without its newline.

        The record is read as ``mailshield scan`` reads a line of a
        ``.jsonl`` file: ``body``, ``subject`` and ``sender_email`` are
        the fields (each when it is a string), ``id`` the result's id,
        other keys are not scanned. Offsets are bytes into each field's
        UTF-8 text (``result.fields``). A line that is not a JSON object,
        or whose scanned keys are not strings, gives a result with no
        fields, ``complete`` false and an error naming the cause (never
        a value), not an exception.

        Raises:
            ``TypeError`` when ``line`` is neither text nor bytes.
        """
        data, _ = _encode(line)
        return self._scan_one(data, n.INPUT_RECORD, False, None, json)

    def _scan_one(self, data, kind, chars, text, json) -> ScanResult:
        lib = self._lib
        out = c_void_p()
        ptr = self._acquire()
        try:
            lib.check(lib.scan(ptr, data, len(data), kind, byref(out)))
        finally:
            self._release()
        try:
            return read_whole(
                lib, out.value, chars, text, json, self._entities,
                self._actions,
            )
        finally:
            lib.result_free(out)

    def scan_batch(
        self,
        texts: Sequence[str | bytes] | Iterable[str | bytes],
        *,
        messages: bool = False,
        records: bool = False,
        json: bool = False,
    ) -> list[ScanResult]:
        """Scans many texts in one call, on every core of the library's
        thread pool; the results keep the order of the input.

        Each item is a ``str`` (code point offsets) or ``bytes`` (byte
        offsets); with ``messages=True`` each is a raw message, as for
        ``scan_message``, with ``records=True`` a JSONL record, as for
        ``scan_record`` (byte offsets into decoded fields either way).
        The ``i``-th result's id is ``-#i`` unless the message has a
        Message-ID or the record an ``id``.

        Each result is copied out of the library the first time it is
        used (see ``ScanResult``), so the call itself costs little more
        than the library's scan; reading a result costs the same either
        way (``bench/bench_batch.py`` measures both).

        Memory: the inputs are encoded and copied once, a part at a time
        (see ``_scan_parts``); at most 16 parts of at most 512 items are
        held so at once. The library's batch of a part (about the size of
        its inputs, plus what was found) lives until every result of the
        part has been read whole or dropped.

        Raises:
            ``TypeError`` when both ``messages`` and ``records`` are
            given, or an item is not text or bytes; ``StateError`` in a
            process forked after a batch ran (see ``mailshield._pool``).
        """
        items = texts if isinstance(texts, (list, tuple)) else list(texts)
        kind = _batch_kind(messages, records)
        lib = self._lib

        def take(ptr: int, part: Sequence, chars, data) -> list:
            # The body of each text result: the input itself, as bytes for
            # a bytes-like one.
            if kind != n.INPUT_TEXT:
                bodies = None
                chars = [False] * len(part)  # byte offsets into fields
            else:
                bodies = [t if c else d for t, c, d in zip(part, chars, data)]
            return Batch(lib, ptr, self, bodies, chars, json).results()

        return self._scan_parts(items, kind, take)

    def scan_lines(
        self,
        items: Sequence[str | bytes] | Iterable[str | bytes],
        *,
        messages: bool = False,
        records: bool = False,
    ) -> list[str]:
        """Scans many items in one call, as ``scan_batch``, and gives
        each result's JSON line: the SPEC 6.1 record ``mailshield scan``
        prints, without its newline.

        The lines are all a caller gets: no ``ScanResult`` is built, so
        this costs two ctypes calls and one decoded text per item over
        the library's scan. The ``i``-th line's ``id`` is ``-#i`` and its
        ``source`` is ``{"path": "-", "index": i}`` unless the message
        has a Message-ID or the record an ``id``; offsets are bytes, as
        the command line gives them.

        Raises:
            as ``scan_batch``.
        """
        items = items if isinstance(items, (list, tuple)) else list(items)
        kind = _batch_kind(messages, records)
        lib = self._lib

        def take(ptr: int, part: Sequence, chars, data) -> list[str]:
            try:
                read = reader(lib)
                return [read.json(read.get(ptr, i)) for i in range(len(part))]
            finally:
                lib.batch_free(ptr)

        return self._scan_parts(items, kind, take)

    def _scan_parts(self, items: Sequence, kind: int, take: Take) -> list:
        """Scans ``items`` on the library's pool in parts, and gives the
        results ``take`` makes of each part's batch, in input order.

        ``take`` (see ``Take``) returns the results of one part.

        PERF: the library scans started parts in the background
        (``mailshield_scan_batch_start``) while this thread encodes the
        next ones and takes the results of finished ones, so that this
        Python work runs beside the scan instead of before and after it
        (see ``_FLIGHT``). Each part is numbered from its first item, so
        the results read as one batch's would.

        Raises:
            as ``_encode``; the library's error when a call fails; what
            ``take`` raises. The parts already started are then waited
            for and freed.
        """
        count = len(items)
        if count == 0:
            return []
        size = min(_PART_MAX, max(_PART_MIN, -(-count // _PARTS)))

        # The call, the engine borrowed; never on a pool lost to fork.
        _pool.enter()
        lib = self._lib
        ptr = self._acquire()
        # N.B. a part is in `flight` before it starts and until it is
        # finished, so that the `finally` frees it whatever interrupts.
        flight: list[_Part] = []
        out: list = []
        try:
            for first in range(0, count, size):
                part = items[first : first + size]
                flight.append(_Part.prepare(part, first))
                flight[-1].start(lib, ptr, kind)
                if len(flight) == _FLIGHT:
                    out += flight[0].finish(lib, take)
                    del flight[0]
            while flight:
                out += flight[0].finish(lib, take)
                del flight[0]
        finally:
            for started in flight:
                started.drop(lib)
            self._release()
        return out

    def protect(
        self,
        text: str | bytes,
        *,
        keys: KeySet | None = None,
        cipher: Cipher = Cipher.AES_256_GCM,
        message_id: str | None = None,
        level: Level | None = None,
        json: bool = False,
    ) -> Protected:
        """Scans, classifies and protects one text in one pass.

        Matches are replaced by each type's operator (a placeholder, a
        mask, a keyed token...), the body is cut where the level's policy
        says, and it is sealed with ``cipher`` when the policy requires
        encryption (a public body stays clear). ``keys`` may be None when
        nothing needs sealing (``Cipher.NONE`` and no ``token``
        operator). ``message_id`` is the id a sealed body is bound to
        (default: the result's id). ``level`` protects as at that level
        instead of the message's own, as the guide's
        ``sanitize_content(content, classification)`` does.

        The body (and subject) come back as ``str`` for a ``str`` input,
        else ``bytes``.

        Raises:
            ``KeySetError`` when sealing needs a key and none was given, or the
            key does not fit the cipher; ``CryptoError`` when sealing fails;
            ``InvalidArgumentError`` for an unknown cipher, ``ValueError``
            for an unknown level.
        """
        data, chars = _encode(text)
        original = text if chars else data
        return self._protect(
            data, n.INPUT_TEXT, chars, original, keys, cipher, message_id,
            level, json,
        )

    def protect_message(
        self,
        raw: bytes,
        *,
        keys: KeySet | None = None,
        cipher: Cipher = Cipher.AES_256_GCM,
        message_id: str | None = None,
        level: Level | None = None,
        json: bool = False,
    ) -> Protected:
        """As ``protect``, for a raw RFC 5322 message (see
        ``scan_message``): the protected body is the message's text
        parts, redacted, as ``bytes``."""
        data, _ = _encode(raw)
        return self._protect(
            data, n.INPUT_MESSAGE, False, None, keys, cipher, message_id,
            level, json,
        )

    def protect_record(
        self,
        line: str | bytes,
        *,
        keys: KeySet | None = None,
        cipher: Cipher = Cipher.AES_256_GCM,
        message_id: str | None = None,
        level: Level | None = None,
        json: bool = False,
    ) -> Protected:
        """As ``protect``, for one JSONL record (see ``scan_record``), as
        ``mailshield protect`` protects a line of a ``.jsonl`` file: the
        body (and under ``default`` the subject) come back as ``bytes``.

        Raises:
            as ``protect``.
        """
        data, _ = _encode(line)
        return self._protect(
            data, n.INPUT_RECORD, False, None, keys, cipher, message_id,
            level, json,
        )

    def _protect(
        self, data, kind, chars, text, keys, cipher, message_id, level,
        json,
    ) -> Protected:
        if keys is not None and not isinstance(keys, KeySet):
            name = type(keys).__name__
            raise TypeError(f"keys must be a KeySet, not {name}")
        lib = self._lib
        opts = n.ProtectOptions()
        opts.cipher = int(cipher)
        mid = None
        if message_id is not None:
            mid = to_bytes(message_id, "message_id")
            opts.message_id.ptr = ctypes.cast(
                ctypes.c_char_p(mid), ctypes.POINTER(ctypes.c_uint8)
            )
            opts.message_id.len = len(mid)
        if level is not None:
            opts.use_level = True
            opts.level = Level(level)
        out = c_void_p()
        ptr = self._acquire()
        try:
            key_ptr = keys._acquire() if keys is not None else None
            try:
                status = lib.protect(
                    ptr, key_ptr, data, len(data), kind, byref(opts),
                    byref(out),
                )
                lib.check(status)
            finally:
                if keys is not None:
                    keys._release()
        finally:
            self._release()
        del mid
        try:
            result = read_whole(
                lib, out.value, chars, text, json, self._entities,
                self._actions,
            )
            return _protected(lib, out.value, result, chars)
        finally:
            lib.result_free(out)

    def __reduce__(self) -> NoReturn:
        # N.B. a handle is a pointer into this process: refuse plainly
        # instead of failing on a lock deep inside pickle.
        raise TypeError(
            "a mailshield.Engine cannot be pickled; send a "
            "mailshield.cluster.EngineSpec and build the engine where it "
            "is used (EngineSpec.engine())"
        )

    def stream(self) -> Stream:
        """A streaming scanner over one message's body; see ``Stream``."""
        return Stream(self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<mailshield.Engine pack={self.pack!r} {state}>"


def _protected(lib, res: int, result: ScanResult, chars: bool) -> Protected:
    """Copies the protected copy of result ``res`` out."""
    view = n.ProtectedView()
    lib.check(lib.result_protected(res, byref(view)))
    body_p, body_n, sealed_p, sealed_n, subj_p, subj_n, log_p, log_n = (
        n.PROTECTED.unpack_from(view)
    )

    def text(ptr: int, length: int) -> str | bytes:
        data = n.string_at(ptr, length)
        return data.decode() if chars else data

    return Protected(
        result=result,
        body=text(body_p, body_n),
        sealed=n.string_at(sealed_p, sealed_n).decode() if sealed_p else None,
        subject=text(subj_p, subj_n) if subj_p else None,
        log=n.texts_at(log_p, log_n),
    )


class Stream(Handle):
    """One message scanned piece by piece, in bounded memory.

    ``feed`` the pieces in order (they may cut anywhere, inside a value
    or a UTF-8 sequence), then ``finish`` for the result, which equals
    one ``scan`` of the whole text. Offsets are global to the message:
    code points when the pieces are ``str``, bytes when they are
    ``bytes`` (all pieces of one stream have the same type). The result's
    ``body`` field has no text: the stream does not keep it.

    A stream is used by one thread at a time (calls from several threads
    are serialised). Use it in ``with`` or ``close`` it.

    Raises:
        ``StateError`` from ``Engine.stream`` when the pack cannot stream (the
        ``seed`` pack scans whole bodies, as the guide does), and from ``feed``
        or ``finish`` after ``finish``.
    """

    __slots__ = ("_lib", "_entities", "_actions", "_chars", "_serial")
    _what = "stream"

    def __init__(self, engine: Engine) -> None:
        lib = engine._lib
        out = c_void_p()
        ptr = engine._acquire()
        try:
            lib.check(lib.stream_new(ptr, byref(out)))
        finally:
            engine._release()
        super().__init__(out.value or 0, lib.stream_free)
        self._lib = lib
        self._entities = engine.entities
        self._actions = engine._actions
        self._chars: bool | None = None
        self._serial = threading.Lock()

    def feed(self, piece: str | bytes) -> None:
        """Feeds the next piece of the message."""
        data, chars = _encode(piece)
        with self._serial:
            if self._chars is None:
                self._chars = chars
            elif self._chars != chars:
                raise TypeError("all pieces of a stream must be str or bytes")
            ptr = self._acquire()
            try:
                self._lib.check(self._lib.stream_feed(ptr, data, len(data)))
            finally:
                self._release()

    def finish(self, *, json: bool = False) -> ScanResult:
        """Scans what is left and gives the result of the whole message."""
        lib = self._lib
        out = c_void_p()
        with self._serial:
            ptr = self._acquire()
            try:
                lib.check(lib.stream_finish(ptr, byref(out)))
            finally:
                self._release()
        chars = bool(self._chars)
        try:
            empty = "" if chars else b""
            return read_whole(
                lib, out.value, chars, empty, json, self._entities,
                self._actions,
            )
        finally:
            lib.result_free(out)


#!/usr/bin/env python3
"""mailshield side by side with the guide's Python code, Presidio, Hyperscan
and RE2, on one generated corpus, in one run.

    python3 benches/compare/compare.py [--size-mb 32] [--rounds 5]
        [--presidio-mb 1] [--threads 1,2] [--seed 11]

Run by hand from anywhere (not in CI). It:

1. creates benches/compare/.venv (once) from requirements.txt, which pins
   every peer, and re-runs itself inside it;
2. builds the native Hyperscan program (hs_native.c, against Debian's
   libhyperscan-dev) and mailshield's side (`cargo bench --bench compare
   --no-run`, a release build of benches/compare/mailshield.rs), and uses
   the release command line (`cargo build --release --locked`);
3. generates one corpus with ../shared/tools/gen_corpus.py --labels (kept
   in benches/compare/out/ and reused when the seed and size match);
4. runs every engine on the same bodies, interleaved: each round runs
   every engine once per thread count, in a new random order, so a busy
   minute on the shared machine hits all engines alike; the figures are
   medians over the rounds, with the load average beside them;
5. scores every engine's findings against the labels with one rule
   (SPEC.md section 8: right when of the label's type and overlapping its
   byte span; overlapping findings of one type count once);
6. writes out/results.json, out/results.md (the tables for BENCHMARKS.md)
   and the plots in benches/compare/plots/.

Engines. "all cores" is one process or thread per core: the Python engines
run in a pool of forked processes (the GIL), the native ones on threads.
Python engines get what they naturally take (str for the guide's code and
Presidio, UTF-8 bytes for Hyperscan and RE2), converted before timing.

- mailshield-default, mailshield-seed: the library's batch call on a rayon
  pool of N threads (benches/compare/mailshield.rs);
- mailshield-cli: `mailshield scan --threads N corpus.jsonl --out
  /dev/null`, the whole command (JSON in and out, classification), wall
  time, MB of bodies;
- seed-ref: classify_email_content of ../shared/tools/seed_ref.py (the
  guide's code), for accuracy its five patterns through re.finditer;
- hyperscan-native (start of match on, as the Python binding needs for
  spans) and hyperscan-native-nosom: the guide's five patterns in one
  block-mode database, hs_native.c;
- hyperscan-py: the same database through the `hyperscan` binding;
- re2-py: the five patterns through `google-re2`, one pass each, like the
  guide;
- presidio-5: Presidio's EmailRecognizer, PhoneRecognizer,
  CreditCardRecognizer, UsSsnRecognizer and IpRecognizer called directly
  (no spaCy model, no AnalyzerEngine), and presidio-4 without the phone
  recognizer; on the first --presidio-mb MB of bodies only (it is slow).

No connection is ever attempted: sockets are replaced by a guard that
raises before anything is imported, and tldextract (Presidio's email
validation) is given its bundled public-suffix snapshot and no URLs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = ROOT.parent / "shared"
VENV = HERE / ".venv"
OUT = HERE / "out"
PLOTS = HERE / "plots"

TYPES = ["SSN", "CREDIT_CARD", "EMAIL", "PHONE", "IP_ADDRESS"]

# The guide's patterns (seed_ref.py, mailshield's `seed` pack), in its
# order; the index is the type's id in Hyperscan.
GUIDE = [
    ("SSN", r"\b\d{3}-?\d{2}-?\d{4}\b"),
    ("CREDIT_CARD", r"\b\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b"),
    ("EMAIL", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b"),
    ("PHONE", r"\b(\+1[-.\s]?)?\(?\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}\b"),
    ("IP_ADDRESS", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"),
]

# A finding: type, start, end (characters or bytes, see `unit`); the
# findings of a run by body index.
Span = tuple[str, int, int]
Findings = dict[int, list[Span]]

PRESIDIO_TYPES = {
    "US_SSN": "SSN",
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IP_ADDRESS": "IP_ADDRESS",
}

# What had to change for a peer to take the guide's patterns; filled in
# as the engines are built and printed in results.md.
CHANGES: list[str] = []


# --- setup -----------------------------------------------------------------


ATTEMPTS: list[str] = []  # connections refused by the guard, in this process


def guard_sockets() -> None:
    """Make every attempt to connect raise, so a peer that tries is caught.

    The attempts are also recorded, in case a peer swallows the error
    (tldextract falls back to its snapshot when a download fails): the run
    ends by checking that there were none.
    """

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        ATTEMPTS.append(repr(args[:2]))
        raise RuntimeError(f"network access attempted: {args[:2]!r}")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


def ensure_venv() -> None:
    """Re-run inside benches/compare/.venv, creating it first if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "-r",
             str(HERE / "requirements.txt")],
            check=True,
        )
    os.execv(str(py), [str(py), str(Path(__file__).resolve())] + sys.argv[1:])


def build_native() -> tuple[str, str, str]:
    """hs_native, mailshield's bench driver and the release CLI."""
    OUT.mkdir(exist_ok=True)
    if subprocess.run(["dpkg", "-s", "libhyperscan-dev"],
                      capture_output=True).returncode != 0:
        sys.exit("compare: needs Debian's libhyperscan-dev "
                 "(apt-get install libhyperscan-dev)")
    hs = OUT / "hs_native"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", str(hs),
                    str(HERE / "hs_native.c"), "-lhs", "-lpthread"],
                   check=True)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT,
                   check=True)
    out = subprocess.run(
        ["cargo", "bench", "--locked", "--bench", "compare", "--no-run",
         "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    driver = None
    for line in out.splitlines():
        msg = json.loads(line)
        if (msg.get("reason") == "compiler-artifact"
                and msg["target"]["name"] == "compare"
                and msg.get("executable")):
            driver = msg["executable"]
    if driver is None:
        sys.exit("compare: cargo did not report the compare bench")
    return str(hs), driver, str(ROOT / "target/release/mailshield")


def corpus(seed: int, size_mb: int) -> tuple[Path, Path]:
    """The corpus and labels, generated once per seed and size."""
    stem = OUT / f"corpus-seed{seed}-{size_mb}"
    jsonl, labels = Path(f"{stem}.jsonl"), Path(f"{stem}.labels.jsonl")
    if not (jsonl.exists() and labels.exists()):
        subprocess.run(
            [sys.executable, str(SHARED / "tools/gen_corpus.py"), "--seed",
             str(seed), "--size-mb", str(size_mb), "--out", str(jsonl),
             "--labels", str(labels)],
            check=True, stdout=subprocess.DEVNULL)
    return jsonl, labels


def write_bodies(path: Path, bodies: Iterable[bytes]) -> None:
    """Bodies as 4-byte little-endian lengths and bytes, for the natives."""
    with open(path, "wb") as f:
        for b in bodies:
            f.write(struct.pack("<I", len(b)))
            f.write(b)


# --- Python engines ----------------------------------------------------------
#
# Each has count(i) (timed: what a caller would run, returning the number of
# matches, so work cannot be skipped) and spans(i) (untimed: (type, start,
# end) in the body's characters or bytes, see `unit`).

# The bodies, set before any pool forks.
STR: list[str] = []
BYTES: list[bytes] = []


class SeedRef:
    unit = "char"

    def __init__(self) -> None:
        sys.path.insert(0, str(SHARED / "tools"))
        import seed_ref

        self.mod = seed_ref
        self.res = [(t, re.compile(p, re.IGNORECASE)) for t, p in GUIDE]

    def count(self, i: int) -> int:
        c = self.mod.classify_email_content(STR[i])
        return sum(p["count"] for p in c["detected_pii"])

    def spans(self, i: int) -> list[Span]:
        return [(t, m.start(), m.end())
                for t, r in self.res for m in r.finditer(STR[i])]


class Re2:
    unit = "byte"

    def __init__(self) -> None:
        import re2

        # RE2's \b, \d and \s are ASCII only; Python's str patterns are
        # Unicode. The patterns are otherwise unchanged.
        self.res = [(t, re2.compile(b"(?i)" + p.encode()))
                    for t, p in GUIDE]

    def count(self, i: int) -> int:
        b = BYTES[i]
        return sum(1 for _, r in self.res for _ in r.finditer(b))

    def spans(self, i: int) -> list[Span]:
        return [(t, m.start(), m.end())
                for t, r in self.res for m in r.finditer(BYTES[i])]


def hs_flags(hyperscan: Any, unicode: bool) -> int:
    f = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SOM_LEFTMOST
    if unicode:
        f |= hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
    return f


def hs_compile_guide() -> tuple[Any, str]:
    """The guide's patterns in one Hyperscan database, and its flag letters.

    Tries Unicode semantics first (UTF-8 + UCP, what Python's str patterns
    mean); Hyperscan refuses \\b there, so it falls back to ASCII classes.
    """
    import hyperscan

    exprs = [p.encode() for _, p in GUIDE]
    ids = list(range(len(GUIDE)))
    for unicode in (True, False):
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(expressions=exprs, ids=ids, elements=len(exprs),
                       flags=[hs_flags(hyperscan, unicode)] * len(exprs))
        except hyperscan.error as e:
            note = ("Hyperscan: the guide's patterns do not compile with "
                    f"HS_FLAG_UTF8 | HS_FLAG_UCP ({e}); compiled without "
                    "them, so \\b, \\d and \\s are ASCII (Python's are "
                    "Unicode). Patterns unchanged otherwise; caseless and "
                    "leftmost start of match on.")
            if note not in CHANGES:
                CHANGES.append(note)
            continue
        return db, "isup" if unicode else "is"
    sys.exit("compare: Hyperscan compiles the guide's patterns in no mode")


class HyperscanPy:
    unit = "byte"

    def __init__(self) -> None:
        self.db, _ = hs_compile_guide()

    def count(self, i: int) -> int:
        n = [0]

        def on(id: int, start: int, end: int, flags: int,
               ctx: object) -> None:
            n[0] += 1

        self.db.scan(BYTES[i], match_event_handler=on)
        return n[0]

    def spans(self, i: int) -> list[Span]:
        out = []

        def on(id: int, start: int, end: int, flags: int,
               ctx: object) -> None:
            out.append((GUIDE[id][0], start, end))

        self.db.scan(BYTES[i], match_event_handler=on)
        return out


class Presidio:
    unit = "char"

    def __init__(self, phone: bool = True) -> None:
        import tldextract
        import tldextract.tldextract as tx
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer, EmailRecognizer, IpRecognizer,
            PhoneRecognizer, UsSsnRecognizer)
        from presidio_analyzer.predefined_recognizers.generic import (
            email_recognizer)

        # The bundled public-suffix snapshot, no URLs, no disk cache: the
        # email recognizer's tldextract.extract never goes to the network.
        offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                        fallback_to_snapshot=True)
        tx.TLD_EXTRACTOR = offline
        tldextract.extract = offline
        email_recognizer.tldextract = tldextract
        assert offline("a.b@mail.example.co.uk").suffix == "co.uk"

        self.recs = [EmailRecognizer(), CreditCardRecognizer(),
                     UsSsnRecognizer(), IpRecognizer()]
        if phone:
            self.recs.append(PhoneRecognizer())

    def analyze(self, text: str) -> list[Any]:
        out = []
        for r in self.recs:
            out += r.analyze(text, r.supported_entities, None)
        return out

    def count(self, i: int) -> int:
        return len(self.analyze(STR[i]))

    def spans(self, i: int) -> list[Span]:
        return [(PRESIDIO_TYPES[r.entity_type], r.start, r.end)
                for r in self.analyze(STR[i])]


ENGINE: Any = None  # the engine of a pool worker


def pool_init(factory: Callable[[], Any]) -> None:
    global ENGINE
    guard_sockets()
    ENGINE = factory()


def pool_count(chunk: list[int]) -> int:
    return sum(ENGINE.count(i) for i in chunk)


def make_presidio4() -> Presidio:
    return Presidio(phone=False)


PY_ENGINES = {
    "seed-ref": SeedRef,
    "hyperscan-py": HyperscanPy,
    "re2-py": Re2,
    "presidio-5": Presidio,
    "presidio-4": make_presidio4,
}


class PyRunner:
    """A Python engine in this process (1 core) and in a forked pool."""

    def __init__(
        self, name: str, indexes: list[int], threads: list[int]
    ) -> None:
        import multiprocessing as mp

        self.name, self.indexes = name, indexes
        self.engine = PY_ENGINES[name]()
        ctx = mp.get_context("fork")
        self.pools = {n: ctx.Pool(n, pool_init, (PY_ENGINES[name],))
                      for n in threads if n > 1}
        step = 16
        self.chunks = [indexes[k:k + step]
                       for k in range(0, len(indexes), step)]
        self.expected = sum(self.engine.count(i) for i in indexes)
        # One untimed round in each pool, so that every worker's engine
        # is warm (mailshield's and Hyperscan's threads are warmed too).
        for n in self.pools:
            self.run(n)

    def run(self, threads: int) -> float:
        t0 = time.perf_counter()
        if threads == 1:
            n = sum(self.engine.count(i) for i in self.indexes)
        else:
            n = sum(self.pools[threads].imap_unordered(pool_count,
                                                       self.chunks))
        secs = time.perf_counter() - t0
        assert n == self.expected, (self.name, n, self.expected)
        return secs

    def close(self) -> None:
        for p in self.pools.values():
            p.close()
            p.join()


# --- native engines ----------------------------------------------------------


class NativeRunner:
    """A program run once per measurement; it reports its own time."""

    def __init__(self, name: str, argv: list[str], key: str) -> None:
        self.name, self.argv, self.key = name, argv, key
        self.tail: list[str] = []  # arguments after the common ones
        self.expected: int | None = None

    def run(self, threads: int) -> float:
        out = subprocess.run(
            self.argv + ["--threads", str(threads), "--rounds", "1"] +
            self.tail, check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        if self.expected is None:
            self.expected = r[self.key]
        assert r[self.key] == self.expected, (self.name, r)
        return r["median_s"]


class CliRunner:
    """The release command line on the corpus file, wall time."""

    def __init__(self, cli: str, jsonl: Path, records: int) -> None:
        self.name, self.cli, self.jsonl = "mailshield-cli", cli, jsonl
        self.records = records

    def run(self, threads: int) -> float:
        t0 = time.perf_counter()
        p = subprocess.run(
            [self.cli, "scan", "--threads", str(threads), str(self.jsonl),
             "--out", "/dev/null"], capture_output=True)
        secs = time.perf_counter() - t0
        # Exit 0, or 1 for --fail-on, which is not given.
        assert p.returncode == 0, p.stderr[-500:]
        return secs


# --- scoring -----------------------------------------------------------------


def to_bytes(body: str, spans: list[Span]) -> list[Span]:
    """Character offsets of a str body to UTF-8 byte offsets."""
    if body.isascii():
        return spans
    pos, acc = [0], 0
    for ch in body:
        acc += len(ch.encode())
        pos.append(acc)
    return [(t, pos[s], pos[e]) for t, s, e in spans]


def merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans of one type become one finding."""
    out = []
    for t, s, e in sorted(spans):
        if out and out[-1][0] == t and s < out[-1][2]:
            out[-1] = (t, out[-1][1], max(e, out[-1][2]))
        else:
            out.append((t, s, e))
    return out


def score(
    findings: Findings, labels: Findings, indexes: list[int]
) -> dict[str, dict[str, float]]:
    """Per type: labels, findings, precision, recall, F1 (SPEC.md 8)."""
    tally = {}
    for i in indexes:
        labs, found = labels.get(i, []), findings.get(i, [])
        for t, s, e in labs:
            row = tally.setdefault(t, [0, 0, 0, 0])
            row[0] += 1
            row[1] += any(ft == t and fs < e and s < fe
                          for ft, fs, fe in found)
        for ft, fs, fe in found:
            row = tally.setdefault(ft, [0, 0, 0, 0])
            row[2] += 1
            row[3] += any(t == ft and fs < e and s < fe
                          for t, s, e in labs)
    out = {}
    for t, (nl, hit, nf, right) in sorted(tally.items()):
        p = right / nf if nf else 1.0
        r = hit / nl if nl else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[t] = {"labels": nl, "findings": nf, "precision": p,
                  "recall": r, "f1": f1}
    return out


def read_spans_file(
    path: Path, names: list[str] | None = None
) -> Findings:
    """A native engine's spans: index, type (or id), start, end."""
    out = {}
    with open(path) as f:
        for line in f:
            i, t, s, e = line.split("\t")
            t = names[int(t)] if names else t
            out.setdefault(int(i), []).append((t, int(s), int(e)))
    return {i: merge(v) for i, v in out.items()}


# --- main --------------------------------------------------------------------


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return (xs[(n - 1) // 2] + xs[n // 2]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--size-mb", type=int, default=32,
                    help="corpus size, MiB of bodies (gen_corpus.py)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    ap.add_argument("--presidio-mb", type=float, default=1.0,
                    help="Presidio runs on the first this many MB")
    ap.add_argument("--sizes", default="2,4,8,16,32",
                    help="MB prefixes for the time-against-size plot")
    ap.add_argument("--sizes-only", action="store_true",
                    help="only redo the time-against-size part of the "
                    "saved run (out/results.json)")
    ap.add_argument("--skip", default="",
                    help="comma-separated engines to leave out")
    args = ap.parse_args()
    ensure_venv()
    guard_sockets()
    if args.sizes_only:
        return sizes_only(args)
    threads = sorted({int(t) for t in args.threads.split(",")})
    skip = set(filter(None, args.skip.split(",")))

    hs_bin, driver, cli = build_native()
    jsonl, labels_path = corpus(args.seed, args.size_mb)
    ids = []
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["id"])
            STR.append(r["body"])
    BYTES.extend(s.encode() for s in STR)
    index = {rid: i for i, rid in enumerate(ids)}
    labels = {}
    with open(labels_path, encoding="utf-8") as f:
        for line in f:
            lab = json.loads(line)
            labels.setdefault(index[lab["id"]], []).append(
                (lab["type"], lab["start"], lab["end"]))
    bodies_bin = OUT / "bodies.bin"
    write_bodies(bodies_bin, BYTES)
    total = sum(map(len, BYTES))
    everything = list(range(len(BYTES)))
    small, acc = [], 0
    for i in everything:
        if acc >= args.presidio_mb * 1e6:
            break
        small.append(i)
        acc += len(BYTES[i])
    small_bytes = acc
    small_bin = OUT / "bodies-presidio.bin"
    write_bodies(small_bin, [BYTES[i] for i in small])

    # Hyperscan's pattern file, with the flags the binding could use.
    _, letters = hs_compile_guide()
    patterns = OUT / "patterns.txt"
    with open(patterns, "w") as f:
        for k, (_, p) in enumerate(GUIDE):
            f.write(f"{k}\t{letters}\t{p}\n")

    # Engines on the whole corpus and on the Presidio slice.
    runners = []
    for pack in ("default", "seed"):
        for name, bodies in ((f"mailshield-{pack}", bodies_bin),
                             (f"mailshield-{pack}@slice", small_bin)):
            runners.append(NativeRunner(
                name, [driver, "--pack", pack, str(bodies)], "findings"))
    for name, extra in (("hyperscan-native", []),
                        ("hyperscan-native-nosom", ["--no-som"])):
        r = NativeRunner(name, [hs_bin, str(patterns), str(bodies_bin)],
                         "matches")
        r.tail = extra
        runners.append(r)
    runners.append(CliRunner(cli, jsonl, len(ids)))
    for name in ("seed-ref", "hyperscan-py", "re2-py", "presidio-5",
                 "presidio-4"):
        if name in skip:
            continue
        idx = small if name.startswith("presidio") else everything
        print(f"compare: preparing {name}", file=sys.stderr)
        runners.append(PyRunner(name, idx, threads))
    runners = [r for r in runners if r.name not in skip]
    size = {r.name: (small_bytes if r.name.endswith("@slice")
                     or r.name.startswith("presidio") else total)
            for r in runners}

    # Interleaved rounds.
    times = {(r.name, n): [] for r in runners for n in threads}
    loads = []
    for k in range(args.rounds):
        order = [(r, n) for r in runners for n in threads]
        random.shuffle(order)
        loads.append(loadavg())
        for r, n in order:
            times[(r.name, n)].append(r.run(n))
        print(f"compare: round {k + 1}/{args.rounds} done, load "
              f"{loads[-1]:.2f}", file=sys.stderr)
    loads.append(loadavg())
    for r in runners:
        if isinstance(r, PyRunner):
            r.close()

    # Accuracy: every engine's findings, untimed.
    findings = {}
    for pack in ("default", "seed"):
        out = OUT / f"spans-mailshield-{pack}.tsv"
        subprocess.run([driver, "--pack", pack, "--rounds", "1", "--spans",
                        str(out), str(bodies_bin)], check=True,
                       capture_output=True)
        findings[f"mailshield-{pack}"] = read_spans_file(out)
    out = OUT / "spans-hyperscan-native.tsv"
    subprocess.run([hs_bin, "--rounds", "1", "--spans", str(out),
                    str(patterns), str(bodies_bin)], check=True,
                   capture_output=True)
    findings["hyperscan-native"] = read_spans_file(
        out, [t for t, _ in GUIDE])
    for r in runners:
        if not isinstance(r, PyRunner):
            continue
        found = {}
        for i in r.indexes:
            s = r.engine.spans(i)
            if r.engine.unit == "char":
                s = to_bytes(STR[i], s)
            found[i] = merge(s)
        findings[r.name] = found
    accuracy = {}
    for name, found in findings.items():
        idx = small if name.startswith("presidio") else everything
        accuracy[name] = score(found, labels, idx)
    for name in ("mailshield-default", "mailshield-seed"):
        accuracy[name + "@slice"] = score(findings[name], labels, small)

    sizes = measure_sizes(driver, bodies_bin, args)

    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "corpus": {"path": str(jsonl), "seed": args.seed,
                   "size_mb": args.size_mb, "records": len(ids),
                   "body_bytes": total, "presidio_slice_bytes": small_bytes,
                   "presidio_slice_records": len(small)},
        "rounds": args.rounds, "threads": threads, "loadavg": loads,
        "bytes": size,
        "seconds": {f"{n}|{t}": v for (n, t), v in times.items()},
        "accuracy": accuracy, "sizes": sizes, "changes": CHANGES,
        "versions": versions(),
    }
    results["network_attempts"] = ATTEMPTS
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    if ATTEMPTS:
        sys.exit(f"compare: network access attempted: {ATTEMPTS}")
    import report

    report.write(results, OUT / "results.md", PLOTS)
    print((OUT / "results.md").read_text())


def measure_sizes(
    driver: str, bodies_bin: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Time against input size, mailshield, one core.

    Two shapes per size: the corpus's first bodies up to that many MB
    (`messages`), and the same bodies joined by blank lines into one body
    (`one body`). Sizes, shapes and packs are interleaved, --rounds times
    (at least 5), in a new random order each round; the plot uses the best
    round (the machine is shared, and what other jobs add is never
    negative).
    """
    files = {}
    for mb in (float(x) for x in args.sizes.split(",")):
        files[(mb, "messages")] = (bodies_bin, ["--limit-mb", str(mb)])
        joined, n = [], 0
        for b in BYTES:
            if n >= mb * 1e6:
                break
            joined.append(b)
            n += len(b) + 2
        path = OUT / f"one-body-{mb:g}.bin"
        write_bodies(path, [b"\n\n".join(joined)])
        files[(mb, "one body")] = (path, [])
    runs = {(k, pack): [] for k in files for pack in ("default", "seed")}
    nbytes = {}
    for _ in range(max(args.rounds, 5)):
        order = list(runs)
        random.shuffle(order)
        for key, pack in order:
            path, extra = files[key]
            o = subprocess.run(
                [driver, "--pack", pack, "--rounds", "1"] + extra +
                [str(path)], check=True, capture_output=True,
                text=True).stdout
            r = json.loads(o)
            nbytes[(key, pack)] = r["bytes"]
            runs[(key, pack)].append(r["median_s"])
    return [{"pack": pack, "shape": key[1], "bytes": nbytes[(key, pack)],
             "rounds_s": secs, "seconds": median(secs)}
            for (key, pack), secs in sorted(runs.items())]


def sizes_only(args: argparse.Namespace) -> None:
    """Redo the time-against-size part of a saved run."""
    hs_bin, driver, cli = build_native()
    path = OUT / "results.json"
    results = json.loads(path.read_text())
    with open(results["corpus"]["path"], encoding="utf-8") as f:
        for line in f:
            BYTES.append(json.loads(line)["body"].encode())
    results["sizes"] = measure_sizes(driver, OUT / "bodies.bin", args)
    results["sizes_loadavg"] = loadavg()
    path.write_text(json.dumps(results, indent=1))
    import report

    report.write(results, OUT / "results.md", PLOTS)
    print((OUT / "results.md").read_text())


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {p: version(p) for p in ("presidio-analyzer", "hyperscan",
                                   "google-re2", "tldextract",
                                   "phonenumbers", "faker", "matplotlib")}
    out["python"] = sys.version.split()[0]
    out["libhyperscan-dev"] = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "libhyperscan-dev"],
        capture_output=True, text=True).stdout
    out["rustc"] = subprocess.run(["rustc", "--version"],
                                  capture_output=True, text=True).stdout
    with open("/proc/cpuinfo") as f:
        out["cpu"] = next((line.split(":", 1)[1].strip() for line in f
                           if line.startswith("model name")), "")
    return out


if __name__ == "__main__":
    main()

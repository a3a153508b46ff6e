"""The drop-in class against the guide's own code, ``tools/seed_ref.py``.

The texts are those of the Rust test ``tests/it/seed_parity.rs``: every
file of ``corpus/real`` (its bytes read as UTF-8 with replacement),
each message of ``combined.mbox`` on its own, each text of
``corpus/cases``, the messages ``gen_corpus.py --seed 11 --size-mb 0.7``
makes, and the corner cases below (the Rust test's, plus a few that only
a ``str`` can hold). For each, ``DataProtectionManager`` (``seed`` pack,
through its ``async`` methods) and ``seed_ref`` must give:

- the same classification, confidence, risk factors and recommended
  actions;
- the same ``detected_pii`` types, in the same order, with the same
  counts;
- as examples, the first two matches of each type masked. ``seed_ref``
  returns raw ``findall`` results (for PHONE, its capture group), which
  mailshield never hands out (SPEC 2.1), so the expected examples are
  the guide's pattern run with ``re.finditer`` (the whole match), masked
  by ``mask`` below, which restates SPEC section 4;
- the same ``sanitize_content`` dict, every key, byte for byte.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from conftest import require
from mailshield import DataClassification, DataProtectionManager

SKIP = {"MANIFEST.tsv", "COUNTS.tsv", "SOURCES.md", "combined.mbox.index.tsv"}


def own_cases() -> list[tuple[str, str]]:
    """Texts that probe the corners of Python's semantics."""
    long_tail = "x" * 10_200
    return [
        # The Rust test's cases.
        ("arabic-ssn", "id ٤١١-٤٥-٦٧٨٩ end"),
        ("fullwidth-card", "card ４１１１ １１１１ １１１１ １１１１"),
        ("devanagari-ip", "ip १.२.३.४ and 1.2.3.4"),
        ("superscript-beside", "x²123-45-6789 and ²536-90-1234"),
        ("mixed-digits", "5٥5-12-3456 and 123-٤٥-6789"),
        ("letters-beside", "é123-45-6789 123-45-6789é ü4111 1111 1111 1111"),
        ("cjk-beside", "電話555-123-4567です and 555-123-4567"),
        ("email-unicode", "josé@example.com zoë@example.org ana@exämple.com"),
        ("ignorecase-letters", "İ@x.com ı@x.com ſ@x.com \u212a@x.com"),
        ("kelvin-keyword", "PRIVATE \u212aEY and CONFİDENTİAL"),
        ("nbsp-phone", "call 555\u00a0123\u00a04567 or (555)\u2003123-4567"),
        ("tld-pipe", "a@b.c|m and x@y.co|5 and z@w.c||"),
        ("long-internal", f"{long_tail} call 555-123-4567 at the end"),
        (
            "long-restricted",
            f"SSN 123-45-6789 {'word ' * 1200} é {long_tail}",
        ),
        ("long-multibyte", "é" * 10_050 + " 4111 1111 1111 1111"),
        ("ssn-in-email", "536-90-1234@example.com"),
        ("ssn-then-dot-email", "x 536-90-1234.a@example.com"),
        ("card-in-phone", "4111 1111 1111 1111 and 123-456-7890123"),
        ("ip-in-email", "1.2.3.4@example.com and user@10.0.0.1.example.com"),
        ("phone-touch-ip", "555-123-45671.2.3.4 and 5551234567.1.2.3"),
        ("tld-then-ssn", "a@b.c|536-90-1234 and a@b.cc|123-45-6789"),
        (
            "ssn-card-overlap",
            "1234-5678-9012-3456 123456789 1234567890123456",
        ),
        ("adjacent-emails", "a@x.com,b@y.org;c@z.net a@x.comb@y.org"),
        (
            "phone-paren",
            "(555) 123-4567 (555)123-4567 +1 (555) 123-4567 +1-555-123-4567",
        ),
        (
            "many-types",
            "SSN 123-45-6789, card 4111-1111-1111-1111, mail a@b.com, "
            "call 555.123.4567, ip 192.168.0.1",
        ),
        ("empty", ""),
        ("keywords-only", "the attorney sent the salary file"),
        # Non-BMP text around and inside values (mathematical digits
        # are `\d` to Python).
        (
            "astral",
            "😀536-90-1234😀 𝟓𝟑𝟔-𝟗𝟎-𝟏𝟐𝟑𝟒 \U0010ffff a@b.com 𠀀 secret",
        ),
        ("astral-long", "🙂" * 5_100 + " 536-90-1234"),
    ]


def corpus_texts(shared) -> list[tuple[str, str]]:
    real = shared / "corpus" / "real"
    out = []
    for path in sorted(p for p in real.rglob("*") if p.is_file()):
        if path.name in SKIP:
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        out.append((str(path.relative_to(shared)), text))
    mbox = (real / "combined.mbox").read_bytes()
    index = (real / "combined.mbox.index.tsv").read_text().splitlines()
    for line in index[1:]:
        cols = line.split("\t")
        at, length = int(cols[1]), int(cols[2])
        text = mbox[at : at + length].decode("utf-8", "replace")
        out.append((f"combined.mbox#{cols[0]}", text))
    cases = shared / "corpus" / "cases" / "default-pack.jsonl"
    for line in cases.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        out.append((f"case:{case['id']}", case["text"]))
    return out


def generated(shared, tmp_path) -> list[tuple[str, str]]:
    have_faker = importlib.util.find_spec("faker") is not None
    require(have_faker, "faker is not installed (gen_corpus.py needs it)")
    out = tmp_path / "gen.jsonl"
    subprocess.run(
        [sys.executable, str(shared / "tools" / "gen_corpus.py"),
         "--seed", "11", "--size-mb", "0.7", "--out", str(out)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return [(f"gen:{r['id']}", r["body"]) for r in records]


def load_reference(shared):
    spec = importlib.util.spec_from_file_location(
        "seed_ref", shared / "tools" / "seed_ref.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mask(pii_type: str, value: str) -> str:
    """SPEC section 4's masks, as the seed pack applies them."""
    if pii_type == "EMAIL":
        at = value.rfind("@")
        return "***" if at < 0 else "***@" + value[at + 1 :]
    if pii_type == "IP_ADDRESS":
        return "***"
    digits = [c for c in value if c in "0123456789"]
    return "***" + "".join(digits[-4:]) if len(digits) >= 8 else "***"


def expected(ref, text: str) -> tuple[dict, dict]:
    """What the guide's code says, with examples as mailshield gives."""
    c = ref.classify_email_content(text)
    s = ref.sanitize_content(text, c["classification"])
    for pii in c["detected_pii"]:
        pattern = ref.PII_PATTERNS[pii["type"]]
        found = re.finditer(pattern, text, re.IGNORECASE)
        pii["examples"] = [mask(pii["type"], m.group(0)) for m in found][:2]
    c["classification"] = c["classification"].value
    return c, s


async def ours(manager, texts):
    out = []
    for _, text in texts:
        c = await manager.classify_email_content(text)
        s = await manager.sanitize_content(text, c["classification"])
        assert type(c["classification"]) is DataClassification
        c = dict(c, classification=c["classification"].value)
        out.append((c, s))
    return out


def test_seed_pack_equals_the_guide_on_every_corpus_text(shared, tmp_path):
    texts = corpus_texts(shared) + generated(shared, tmp_path) + own_cases()
    assert len(texts) >= 1853, f"only {len(texts)} texts"
    ref = load_reference(shared)
    manager = DataProtectionManager(Fernet.generate_key().decode())

    got = asyncio.run(ours(manager, texts))

    failures = []
    for (name, text), mine in zip(texts, got):
        want = expected(ref, text)
        if mine != want:
            failures.append(f"{name}:\n  want {want}\n  got  {mine}")
    shown = "\n".join(f[:2000] for f in failures[:5])
    assert not failures, f"{len(failures)} of {len(texts)} differ:\n{shown}"


# The non-BMP cases, known answers (no ../shared needed).
NON_BMP = {
    "astral": (
        [
            {"type": "SSN", "count": 2, "examples": ["***1234", "***"]},
            {"type": "EMAIL", "count": 1, "examples": ["***@b.com"]},
        ],
        ["High-sensitivity PII detected", "Sensitive keywords: secret"],
        "😀[SSN_REDACTED]😀 [SSN_REDACTED] \U0010ffff [EMAIL_REDACTED] 𠀀 "
        "secret",
        ["Replaced 2 SSN instances", "Replaced 1 EMAIL instances"],
    ),
    "astral-long": (
        [{"type": "SSN", "count": 1, "examples": ["***1234"]}],
        ["High-sensitivity PII detected"],
        "🙂" * 5_000 + "[TRUNCATED]",
        ["Replaced 1 SSN instances", "Content truncated to 5000 characters"],
    ),
}


@pytest.mark.parametrize("name", sorted(NON_BMP))
def test_non_bmp_cases(name):
    text = dict(own_cases())[name]
    pii, risks, sanitized, actions = NON_BMP[name]
    manager = DataProtectionManager(Fernet.generate_key())
    c = asyncio.run(manager.classify_email_content(text))
    assert c == {
        "classification": DataClassification.RESTRICTED,
        "confidence": 0.95,
        "detected_pii": pii,
        "risk_factors": risks,
        "recommended_actions": [
            "Apply encryption",
            "Enable access logging",
            "Require approval for access",
        ],
    }
    s = asyncio.run(manager.sanitize_content(text, c["classification"]))
    assert s == {
        "sanitized_content": sanitized,
        "original_length": len(text),
        "sanitized_length": len(sanitized),
        "sanitization_actions": actions,
    }


def test_lone_surrogates_are_refused():
    # UTF-8 cannot hold them; the guide's own encrypt_sensitive_data
    # refuses them too (`data.encode()`).
    manager = DataProtectionManager(Fernet.generate_key())
    text = "a\ud83d 536-90-1234"
    with pytest.raises(UnicodeEncodeError):
        asyncio.run(manager.classify_email_content(text))
    with pytest.raises(UnicodeEncodeError):
        asyncio.run(
            manager.sanitize_content(text, DataClassification.RESTRICTED)
        )

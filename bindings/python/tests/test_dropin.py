"""The drop-in class: the guide's constructor, methods and shapes."""

from __future__ import annotations

import asyncio
import enum

import pytest
from cryptography.fernet import Fernet

from mailshield import (
    CryptoError,
    DataClassification,
    DataProtectionManager,
    KeySetError,
)
from mailshield.dropin import SEED_PATTERNS

TEXT = (
    "Hi, call me at (415) 555-0134 or +1 415-555-0199, mail "
    "ana@example.com; server 10.0.0.1. The password is attached."
)
ACTIONS = [
    "Apply encryption",
    "Enable access logging",
    "Require approval for access",
]


@pytest.fixture(scope="module")
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def manager(key) -> DataProtectionManager:
    return DataProtectionManager(key)


def run(coro):
    return asyncio.run(coro)


def test_classify_has_the_guides_shape_with_masked_examples(manager):
    c = run(manager.classify_email_content(TEXT))
    assert c == {
        "classification": DataClassification.CONFIDENTIAL,
        "confidence": 0.85,
        "detected_pii": [
            # The guide's examples would be the raw text, and for PHONE
            # its capture group ('' twice): masked whole matches here.
            {"type": "EMAIL", "count": 1, "examples": ["***@example.com"]},
            {"type": "PHONE", "count": 2,
             "examples": ["***0134", "***0199"]},
            {"type": "IP_ADDRESS", "count": 1, "examples": ["***"]},
        ],
        "risk_factors": ["PII detected", "Sensitive keywords: password"],
        "recommended_actions": ACTIONS,
    }


def test_sanitize_follows_the_given_classification(manager):
    s = run(manager.sanitize_content(TEXT, DataClassification.CONFIDENTIAL))
    # The guide's quirks kept: `\b` before `\(` and `\+` cannot match
    # after a space, so "(" and "+1 " stay.
    body = (
        "Hi, call me at ([PHONE_REDACTED] or +1 [PHONE_REDACTED], mail "
        "[EMAIL_REDACTED]; server [IP_ADDRESS_REDACTED]. The password is "
        "attached."
    )
    assert s == {
        "sanitized_content": body,
        "original_length": len(TEXT),
        "sanitized_length": len(body),
        "sanitization_actions": [
            "Replaced 1 EMAIL instances",
            "Replaced 2 PHONE instances",
            "Replaced 1 IP_ADDRESS instances",
        ],
    }
    for level in (DataClassification.PUBLIC, DataClassification.INTERNAL):
        s = run(manager.sanitize_content(TEXT, level))
        assert s["sanitized_content"] == TEXT
        assert s["sanitization_actions"] == []
    long = "é" * 12_000
    s = run(manager.sanitize_content(long, DataClassification.INTERNAL))
    assert s["sanitized_content"] == "é" * 10_000 + "[TRUNCATED]"
    assert (s["original_length"], s["sanitized_length"]) == (12_000, 10_011)
    assert s["sanitization_actions"] == [
        "Content truncated to 10000 characters"
    ]


def test_the_guides_own_enum_is_accepted(manager):
    class GuideClassification(enum.Enum):  # as the guide's module has it
        PUBLIC = "public"
        INTERNAL = "internal"
        CONFIDENTIAL = "confidential"
        RESTRICTED = "restricted"

    ours = run(manager.sanitize_content(TEXT, DataClassification.RESTRICTED))
    theirs = run(
        manager.sanitize_content(TEXT, GuideClassification.RESTRICTED)
    )
    assert theirs == ours
    assert run(manager.sanitize_content(TEXT, "restricted")) == ours
    with pytest.raises(ValueError):
        run(manager.sanitize_content(TEXT, "secret"))


def test_encryption_follows_the_policy_and_reads_in_cryptography(
    manager, key
):
    public = DataClassification.PUBLIC
    assert run(manager.encrypt_sensitive_data("plain", public)) == "plain"
    assert run(manager.decrypt_sensitive_data("plain", public)) == "plain"
    for level in list(DataClassification)[1:]:
        token = run(manager.encrypt_sensitive_data("sécret 😀", level))
        assert token != "sécret 😀"
        assert Fernet(key.encode()).decrypt(token.encode()).decode() == (
            "sécret 😀"
        )
        assert run(manager.decrypt_sensitive_data(token, level)) == (
            "sécret 😀"
        )
    theirs = Fernet(key.encode()).encrypt("from the guide".encode()).decode()
    restricted = DataClassification.RESTRICTED
    assert run(manager.decrypt_sensitive_data(theirs, restricted)) == (
        "from the guide"
    )
    other = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(CryptoError):
        run(manager.decrypt_sensitive_data(other, restricted))


def test_policies_steer_encryption_as_in_the_guide(key):
    m = DataProtectionManager(key)
    m.policies[DataClassification.PUBLIC]["encryption_required"] = True
    token = run(m.encrypt_sensitive_data("x", DataClassification.PUBLIC))
    assert token != "x"
    assert run(m.decrypt_sensitive_data(token, DataClassification.PUBLIC)) == (
        "x"
    )


def test_constructor_and_attributes(key):
    m = DataProtectionManager(key.encode())
    assert m.policies == {
        DataClassification.PUBLIC: {
            "encryption_required": False,
            "access_logging": False,
            "retention_days": 365,
        },
        DataClassification.INTERNAL: {
            "encryption_required": True,
            "access_logging": True,
            "retention_days": 180,
        },
        DataClassification.CONFIDENTIAL: {
            "encryption_required": True,
            "access_logging": True,
            "retention_days": 90,
            "approval_required": True,
        },
        DataClassification.RESTRICTED: {
            "encryption_required": True,
            "access_logging": True,
            "retention_days": 30,
            "approval_required": True,
            "audit_trail": True,
        },
    }
    assert list(m.pii_patterns) == [
        "SSN", "CREDIT_CARD", "EMAIL", "PHONE", "IP_ADDRESS",
    ]
    assert m.pii_patterns["SSN"] == r"\b\d{3}-?\d{2}-?\d{4}\b"
    with pytest.raises(TypeError):
        m.pii_patterns["SSN"] = "x"
    assert not hasattr(m, "encryption_key")
    assert key not in repr(m)
    m.close()
    with pytest.raises(KeySetError) as e:
        DataProtectionManager("not a fernet key")
    assert isinstance(e.value, ValueError)
    assert "not a fernet key" not in str(e.value)


def test_the_default_pack_in_the_same_shapes(key):
    with DataProtectionManager(key, pack="default") as m:
        c = m.classify("card 4111 1111 1111 1111, SSN 536-90-1234")
        assert c["classification"] is DataClassification.RESTRICTED
        # The pack's report order (its SSN detector comes first), not
        # the order of the text or of the entity table.
        assert c["detected_pii"] == [
            {"type": "SSN", "count": 1, "examples": ["***1234"]},
            {"type": "CREDIT_CARD", "count": 1, "examples": ["***1111"]},
        ]
        assert m.pii_patterns["SSN"] is None


def test_detected_pii_follows_the_engine_entity_order(key, seed):
    assert seed.entity_order[:5] == tuple(SEED_PATTERNS)
    with DataProtectionManager(key, pack="default") as m:
        order = m.engine.entity_order
        assert order[:6] == (
            "SSN", "CREDIT_CARD", "PHONE", "EMAIL", "IP_ADDRESS", "IBAN",
        )
        assert sorted(order) == sorted(m.engine.entities)
        c = m.classify(
            "ip 192.0.2.7, mail ana@example.com, call (415) 555-0134"
        )
        assert [p["type"] for p in c["detected_pii"]] == [
            "PHONE", "EMAIL", "IP_ADDRESS",
        ]


def test_methods_are_coroutines(manager):
    import inspect

    for name in (
        "classify_email_content",
        "sanitize_content",
        "encrypt_sensitive_data",
        "decrypt_sensitive_data",
    ):
        assert inspect.iscoroutinefunction(getattr(manager, name)), name


def test_concurrent_tasks(manager):
    texts = [f"user{i}@example.com SSN 536-90-{i:04d}" for i in range(50)]

    async def main():
        return await asyncio.gather(
            *(manager.classify_email_content(t) for t in texts)
        )

    for c in run(main()):
        assert c["classification"] is DataClassification.RESTRICTED
        assert [p["count"] for p in c["detected_pii"]] == [1, 1]

"""A drop-in for the guide's ``DataProtectionManager``.

Code written against the guide's class switches by changing one import::

    from mailshield import DataProtectionManager, DataClassification

The constructor takes the same Fernet key; the four methods have the
guide's names, arguments, ``async`` signatures and result shapes, and
under the ``seed`` pack (the default here) give the guide's answers:
classification, confidence, per-type counts, risk factors, recommended
actions, sanitized text and sanitization log are those of the guide's
code, checked against ``tools/seed_ref.py`` over the shared corpora
(SPEC section 2.1).

Where it differs from the guide, on purpose:

- ``detected_pii[i]["examples"]`` are masked (``***1234``,
  ``***@example.com``, ``***``), never the matched text: mailshield does
  not hand out raw values (SPEC sections 2.1 and 4). They are the first
  two findings of the type, masked from the whole match (the guide gave
  PHONE's capture group instead).
- The key is not kept as ``self.encryption_key``: it goes into a
  ``KeySet`` held by the library, which wipes it on ``close``.
- ``pii_patterns`` is read-only, and ``policies`` steers only
  ``encrypt_sensitive_data`` and ``decrypt_sensitive_data`` (as in the
  guide): classification and sanitizing follow the pack's own policies.
- Text with lone surrogates (which UTF-8 cannot hold) raises
  ``UnicodeEncodeError``, as the guide's ``encrypt_sensitive_data`` does;
  its ``classify_email_content`` took them.
- A token that does not open raises ``mailshield.CryptoError`` rather than
  ``cryptography.fernet.InvalidToken``; a bad key raises ``KeySetError``,
  which is a ``ValueError`` as ``Fernet``'s is.
- The ``async`` methods run the scan inline: it takes microseconds for a
  mail (and releases the GIL), so it is not worth a thread hop; for
  bodies of many megabytes, call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Any

from .engine import Engine
from .keys import Cipher, KeySet
from .result import Level

__all__ = ["DataClassification", "DataProtectionManager"]


class DataClassification(enum.Enum):
    """Data sensitivity classifications, as the guide defines them."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


_LEVEL = {
    DataClassification.PUBLIC: Level.PUBLIC,
    DataClassification.INTERNAL: Level.INTERNAL,
    DataClassification.CONFIDENTIAL: Level.CONFIDENTIAL,
    DataClassification.RESTRICTED: Level.RESTRICTED,
}

# The guide's patterns, which the `seed` pack compiles with CPython `re`
# semantics. Informational: the engine does the matching.
SEED_PATTERNS = MappingProxyType(
    {
        "SSN": r"\b\d{3}-?\d{2}-?\d{4}\b",
        "CREDIT_CARD": r"\b\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b",
        "EMAIL": r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b",
        "PHONE": r"\b(\+1[-.\s]?)?\(?\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}\b",
        "IP_ADDRESS": r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b",
    }
)


def _policies() -> dict[DataClassification, dict[str, Any]]:
    """The guide's data handling policies, a fresh copy."""
    return {
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


def classification_of(value: object) -> DataClassification:
    """A ``DataClassification`` from one, from another enum with the
    same values (the guide's own class), or from its value string.

    Raises:
        ``ValueError`` for anything else.
    """
    if isinstance(value, DataClassification):
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    try:
        return DataClassification(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a DataClassification") from None


class DataProtectionManager:
    """The guide's data protection class, backed by mailshield.

    Args:
        encryption_key: a Fernet key (``Fernet.generate_key()``, as
            ``str`` or ``bytes``), used by ``encrypt_sensitive_data`` and
            ``decrypt_sensitive_data``.
        pack: the rule pack; ``"seed"`` (the default) gives the guide's
            answers, ``"default"`` mailshield's better ones in the same
            shapes.

    Attributes:
        engine: the ``Engine`` of the pack.
        keys: the ``KeySet`` holding the Fernet key.
        policies: the guide's policies per classification.
        pii_patterns: read-only; for the ``seed`` pack the guide's five
            patterns by type, for other packs each entity type mapped to
            None (the patterns live in the pack).

    Raises:
        ``KeySetError`` (a ``ValueError``) for a key that is not a Fernet key;
        ``RulesError`` for an unknown pack.
    """

    def __init__(self, encryption_key: str | bytes, *, pack: str = "seed"):
        self.keys = KeySet.from_fernet_key(encryption_key)
        self.engine = Engine(pack)
        self.policies = _policies()
        if pack == "seed":
            self.pii_patterns = SEED_PATTERNS
        else:
            self.pii_patterns = MappingProxyType(
                dict.fromkeys(self.engine.entities)
            )

    async def classify_email_content(
        self, email_content: str
    ) -> dict[str, Any]:
        """Classifies a mail body by sensitivity.

        Returns ``{"classification": DataClassification, "confidence":
        float, "detected_pii": [{"type", "count", "examples"}],
        "risk_factors": [str], "recommended_actions": [str]}``, with
        ``detected_pii`` in the pack's report order
        (``Engine.entity_order``: the guide's for the ``seed`` pack) and
        ``examples`` the first two findings of each type, masked.
        """
        return self.classify(email_content)

    def classify(self, email_content: str) -> dict[str, Any]:
        """``classify_email_content``, without ``async``."""
        result = self.engine.scan(email_content)
        by_type: dict[str, list[str]] = {}
        for f in result.findings:
            by_type.setdefault(f.type, []).append(f.masked)
        detected = [
            {"type": t, "count": len(by_type[t]), "examples": by_type[t][:2]}
            for t in self.engine.entity_order
            if t in by_type
        ]
        return {
            "classification": DataClassification(result.classification),
            "confidence": result.confidence,
            "detected_pii": detected,
            "risk_factors": list(result.risk_factors),
            "recommended_actions": list(result.recommended_actions),
        }

    async def sanitize_content(
        self, content: str, classification: DataClassification
    ) -> dict[str, Any]:
        """Redacts and truncates content as the classification's policy
        says.

        Returns ``{"sanitized_content": str, "original_length": int,
        "sanitized_length": int, "sanitization_actions": [str]}``;
        lengths are ``len()`` of the strings (code points).
        """
        return self.sanitize(content, classification)

    def sanitize(
        self, content: str, classification: DataClassification
    ) -> dict[str, Any]:
        """``sanitize_content``, without ``async``."""
        level = _LEVEL[classification_of(classification)]
        p = self.engine.protect(
            content, keys=self.keys, cipher=Cipher.NONE, level=level
        )
        return {
            "sanitized_content": p.body,
            "original_length": len(content),
            "sanitized_length": len(p.body),
            "sanitization_actions": list(p.log),
        }

    async def encrypt_sensitive_data(
        self, data: str, classification: DataClassification
    ) -> str:
        """A Fernet token of ``data`` when the classification's policy
        requires encryption (all but public), else ``data`` unchanged."""
        policy = self.policies[classification_of(classification)]
        if policy["encryption_required"]:
            return self.keys.encrypt(data, Cipher.FERNET)
        return data

    async def decrypt_sensitive_data(
        self, encrypted_data: str, classification: DataClassification
    ) -> str:
        """The clear text of a Fernet token when the classification's
        policy requires encryption, else ``encrypted_data`` unchanged.

        Raises:
            ``CryptoError`` when the token does not open with the key;
            ``UnicodeDecodeError`` when its clear text is not UTF-8.
        """
        policy = self.policies[classification_of(classification)]
        if policy["encryption_required"]:
            return self.keys.decrypt(encrypted_data).decode()
        return encrypted_data

    def close(self) -> None:
        """Frees the engine and wipes the key now, not at collection."""
        self.engine.close()
        self.keys.close()

    def __enter__(self) -> DataProtectionManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<mailshield.DataProtectionManager pack={self.engine.pack!r}>"

"""Payload encryption: an AES-GCM `PayloadCodec` with rotating keys (issue 5;
docs/temporal-notes.md).

Customers' descriptions and technicians' reports are personal data; with the codec on, Temporal
stores every payload (inputs, update arguments, results, query answers, failure messages) as
ciphertext. The wire format is the one of Temporal's own encryption samples (Go, Java, Python),
so another team can implement it from this description:

    metadata: {"encoding": "binary/encrypted", "encryption-key-id": "<key id>"}
    data:     12-byte random nonce || AES-GCM(key, nonce, serialized Payload protobuf)

Keys come from the environment, never from the repository:
    CABLECARE_CODEC_KEYS="k2026b:<base64 key>,k2026a:<base64 key>"   (first = active)
    CABLECARE_CODEC_KEYS_FILE=/run/secrets/codec-keys    (same entries, one per line, # comments)
Every listed key decodes; only the first encodes. Rotation: put the new key first, keep the old
ones as long as histories encoded with them are kept (the namespace's retention).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
)

from cablecare.failures import CleanEncodedFailureConverter, CleanFailureConverter

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEYS_ENV = "CABLECARE_CODEC_KEYS"
KEYS_FILE_ENV = "CABLECARE_CODEC_KEYS_FILE"
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CodecKeyError(ValueError):
    """The key configuration is wrong, or a payload names a key this process does not have."""


@dataclasses.dataclass(frozen=True)
class KeyRing:
    """Key id -> AES key (16, 24 or 32 bytes). `active` encodes; all of them decode."""

    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise CodecKeyError(f"active key {self.active!r} is not among the keys")
        for key_id, key in self.keys.items():
            if not _KEY_ID.match(key_id):
                raise CodecKeyError(f"key id {key_id!r}: use 1-64 of A-Z a-z 0-9 . _ -")
            if len(key) not in (16, 24, 32):
                raise CodecKeyError(
                    f"key {key_id!r} is {len(key)} bytes; AES needs 16, 24 or 32 (use 32)"
                )

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """`kid:base64key` entries separated by commas or new lines; the first is active."""
        entries = [
            e.strip()
            for line in spec.splitlines()
            if not line.strip().startswith("#")
            for e in line.split(",")
            if e.strip()
        ]
        if not entries:
            raise CodecKeyError("no codec key given")
        keys: dict[str, bytes] = {}
        for entry in entries:
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise CodecKeyError(f"codec key entry without 'id:' prefix ({key_id[:8]}...)")
            key_id = key_id.strip()
            if key_id in keys:
                raise CodecKeyError(f"key id {key_id!r} is listed twice")
            try:
                keys[key_id] = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError) as error:
                # Never echo the key material itself, even when it is malformed.
                raise CodecKeyError(f"key {key_id!r} is not valid base64") from error
        return cls(keys=keys, active=next(iter(keys)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing | None:
        """The keys of CABLECARE_CODEC_KEYS or CABLECARE_CODEC_KEYS_FILE; None when neither."""
        env = os.environ if environ is None else environ
        spec = env.get(KEYS_ENV, "").strip()
        path = env.get(KEYS_FILE_ENV, "").strip()
        if spec and path:
            raise CodecKeyError(f"set {KEYS_ENV} or {KEYS_FILE_ENV}, not both")
        if path:
            try:
                spec = Path(path).read_text(encoding="utf-8")
            except OSError as error:
                raise CodecKeyError(f"{KEYS_FILE_ENV}={path}: {error.strerror}") from error
        return cls.parse(spec) if spec else None


def new_key_entry(key_id: str) -> str:
    """A fresh `kid:base64key` entry (32 random bytes), for `cablecare codec new-key`."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


class AesGcmCodec(PayloadCodec):
    """Encrypts every payload with the active key; decrypts with whichever key it names."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    @property
    def active_key_id(self) -> str:
        return self._keys.active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = secrets.token_bytes(NONCE_BYTES)
        key_id = self._keys.active
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        # Payloads written before encryption was switched on stay readable.
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecKeyError(
                f"payload encrypted with key {key_id!r}, which is not configured "
                f"(known: {', '.join(sorted(self._ciphers))})"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        decoded = Payload()
        decoded.ParseFromString(cipher.decrypt(nonce, sealed, None))
        return decoded


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """The pydantic converter, with `codec` and encrypted failure messages when given.

    Failure messages and stack traces are free text too (a refused update can quote a field), so
    with a codec they travel as an encoded attribute instead of clear text.
    """
    if codec is None:
        return dataclasses.replace(
            pydantic_data_converter, failure_converter_class=CleanFailureConverter
        )
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=CleanEncodedFailureConverter,
    )


def codec_from_env(environ: Mapping[str, str] | None = None) -> AesGcmCodec | None:
    keys = KeyRing.from_env(environ)
    return AesGcmCodec(keys) if keys else None

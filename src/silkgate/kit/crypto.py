"""National-standard cryptography: SM3 digests, SM4 field encryption, SM3 blind indexes, SM2 signatures.

SM3 (GB/T 32905-2016) and SM4 (GB/T 32907-2016) come from OpenSSL through `cryptography`;
SM2 (GB/T 32918) from `gmssl`. Personal data is stored as SM4-GCM ciphertext plus a keyed
HMAC-SM3 "blind index" so that equality look-ups (quota per ID, identity) never need plaintext.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import secrets

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_NONCE = 12
_TAG = 16


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def derive_key(master_hex: str, purpose: str) -> bytes:
    """A 16-byte key for one purpose (e.g. "sm4:pii", "index:id_number") from the master key."""
    return hmac_sm3(bytes.fromhex(master_hex), purpose.encode())[:16]


class FieldCipher:
    """SM4-GCM encryption of one personal-data field, plus its blind index."""

    def __init__(self, master_hex: str) -> None:
        self._enc_key = derive_key(master_hex, "sm4:pii")
        self._idx_key = derive_key(master_hex, "index")

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        enc = Cipher(algorithms.SM4(self._enc_key), modes.GCM(nonce)).encryptor()
        body = enc.update(plaintext.encode()) + enc.finalize()
        return base64.b64encode(nonce + body + enc.tag).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token)
        nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
        dec = Cipher(algorithms.SM4(self._enc_key), modes.GCM(nonce, tag)).decryptor()
        return (dec.update(body) + dec.finalize()).decode()

    def blind_index(self, kind: str, value: str) -> str:
        """Deterministic keyed digest for equality look-ups; `kind` separates value spaces."""
        normalised = value.strip().upper()
        return hmac_sm3(self._idx_key, f"{kind}\x00{normalised}".encode()).hex()


@functools.lru_cache(maxsize=4)
def field_cipher(master_hex: str) -> FieldCipher:
    return FieldCipher(master_hex)


def new_api_key() -> str:
    """An API key as shown once to its owner: a recognisable prefix and 32 random bytes."""
    return "sgk_" + secrets.token_urlsafe(32)


def api_key_digest(key: str) -> str:
    """API keys are long random strings, so a fast SM3 digest (not a slow KDF) is the right store."""
    return sm3_hex(key.encode())


def sm2_generate_keypair() -> tuple[str, str]:
    """(private key hex, uncompressed public key hex without the 04 prefix)."""
    from gmssl import sm2  # gmssl is slow to import; only signatures need it

    private = secrets.token_hex(32)
    curve = sm2.default_ecc_table
    crypt = sm2.CryptSM2(private_key=private, public_key="", ecc_table=curve)
    public = crypt._kg(int(private, 16), curve["g"])
    return private, public


def sm2_sign(private_hex: str, public_hex: str, data: bytes) -> str:
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key=public_hex)
    return str(crypt.sign_with_sm3(data))


def sm2_verify(public_hex: str, signature_hex: str, data: bytes) -> bool:
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key="", public_key=public_hex)
    return bool(crypt.verify_with_sm3(signature_hex, data))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

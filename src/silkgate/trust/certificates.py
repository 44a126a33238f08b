"""X.509 certificates: read the ones enterprises register (SM2 or RSA), and issue the platform's own.

Reading and building the ASN.1 structures is `asn1crypto`'s; signing and verifying is Tongsuo's
(SM2, `kit.crypto`) and `cryptography`'s (RSA). Certificates are named by the SM3 fingerprint of
their DER encoding. Signature algorithm of the certificates we issue: SM2-with-SM3
(1.2.156.10197.1.501, GM/T 0015-2012 数字证书格式), subject key on the SM2 curve
(1.2.156.10197.1.301).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, core, keys, pem, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from silkgate.kit import crypto

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class CertificateUnreadable(ValueError):
    """Bytes that are not one X.509 certificate we can read."""


@dataclass(frozen=True)
class Certificate:
    """What the platform needs to know of one certificate."""

    der: bytes
    serial: int
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    algorithm: str  # sm2 | rsa | the key algorithm's name when neither
    key_bits: int
    public_key_der: bytes  # SubjectPublicKeyInfo

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.der)

    @property
    def pem(self) -> str:
        return to_pem(self.der)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.der).decode()

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


def serial_hex(serial: int) -> str:
    return format(serial, "X")


def fingerprint(der: bytes) -> str:
    """SM3 of the DER certificate, lower-case hex (the registry's key for a certificate)."""
    return crypto.sm3_hex(der)


def to_pem(der: bytes) -> str:
    return bytes(pem.armor("CERTIFICATE", der)).decode()


def der_from_text(data: bytes) -> bytes:
    """DER from a PEM file (the first CERTIFICATE block), bare base64 (an X509Certificate element) or
    DER itself."""
    if data[:1] == b"\x30":  # DER (a SEQUENCE): never strip it, its last byte may be a space or newline
        return data
    block = _PEM_BLOCK.search(data)
    if block is not None:
        _, _, der = pem.unarmor(block.group(0))
        return bytes(der)
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateUnreadable("neither PEM, base64 nor DER") from exc


def _moment(value: Any) -> dt.datetime:
    moment = value.native if hasattr(value, "native") else value
    if not isinstance(moment, dt.datetime):
        raise CertificateUnreadable("validity is not a time")
    return moment.astimezone(dt.UTC)


def read_certificate(data: bytes) -> Certificate:
    """One certificate from PEM, base64 or DER; CertificateUnreadable when it is not one."""
    der = der_from_text(data)
    try:
        cert = x509.Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        spki = tbs["subject_public_key_info"]
        key_algorithm = spki["algorithm"]["algorithm"].dotted
        if key_algorithm == "1.2.840.10045.2.1":  # id-ecPublicKey
            curve = spki["algorithm"]["parameters"].chosen
            is_sm2 = isinstance(curve, core.ObjectIdentifier) and curve.dotted == crypto.SM2_CURVE_OID
            algorithm, bits = ("sm2", 256) if is_sm2 else ("ec", 256)
        elif key_algorithm == "1.2.840.113549.1.1.1":  # rsaEncryption
            algorithm, bits = "rsa", int(spki["public_key"].parsed["modulus"].native.bit_length())
        else:
            algorithm, bits = key_algorithm, 0
        validity = tbs["validity"]
        return Certificate(
            der=der,
            serial=int(tbs["serial_number"].native),
            subject=tbs["subject"].human_friendly[:500],
            issuer=tbs["issuer"].human_friendly[:500],
            not_before=_moment(validity["not_before"].chosen),
            not_after=_moment(validity["not_after"].chosen),
            algorithm=algorithm,
            key_bits=bits,
            public_key_der=bytes(spki.dump()),
        )
    except CertificateUnreadable:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError on malformed DER
        raise CertificateUnreadable(f"not an X.509 certificate: {type(exc).__name__}") from exc


# --- verifying with a certificate's key ------------------------------------------------------------


def verify_with(
    certificate_key_der: bytes, algorithm: str, data: bytes, signature: bytes, hash_name: str
) -> bool:
    """Does `signature` sign `data` with the certificate's key? SM2 (with SM3, default user ID) or
    RSA PKCS#1 v1.5 with `hash_name` (sha1 | sha256)."""
    if algorithm == "sm2":
        try:
            key = crypto.sm2_load_public_key(certificate_key_der)
        except ValueError:
            return False
        return crypto.sm2_verify(key, data, signature)
    if algorithm == "rsa":
        public = load_der_public_key(certificate_key_der)
        if not isinstance(public, rsa.RSAPublicKey):
            return False
        digest = hashes.SHA1() if hash_name == "sha1" else hashes.SHA256()
        try:
            public.verify(signature, data, padding.PKCS1v15(), digest)
        except (InvalidSignature, ValueError):
            return False
        return True
    return False


def issued_by(certificate: Certificate, issuer: Certificate) -> bool:
    """Is `certificate` signed by `issuer`'s SM2 key (SM2-with-SM3)?"""
    cert = x509.Certificate.load(certificate.der)
    if cert["signature_algorithm"]["algorithm"].dotted != crypto.SM2_WITH_SM3_OID:
        return False
    return verify_with(
        issuer.public_key_der,
        "sm2",
        bytes(cert["tbs_certificate"].dump()),
        bytes(cert["signature_value"].native),
        "",
    )


# --- issuing ---------------------------------------------------------------------------------------


def _name(common_name: str, organisation: str, serial_number: str | None = None) -> x509.Name:
    fields: dict[str, str] = {
        "country_name": "CN",
        "organization_name": organisation[:64],
        "common_name": common_name[:64],
    }
    if serial_number:
        fields["serial_number"] = serial_number[:64]
    return x509.Name.build(fields, use_printable=False)


def _time(moment: dt.datetime) -> x509.Time:
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)
    return x509.Time({"utc_time": moment} if moment.year < 2050 else {"general_time": moment})


def _key_identifier(public_key_der: bytes) -> bytes:
    """RFC 5280 §4.2.1.2 method 1, with SM3 in place of SHA-1 (truncated to 20 bytes)."""
    spki = keys.PublicKeyInfo.load(public_key_der)
    return crypto.sm3(bytes(spki["public_key"].native))[:20]


def build_certificate(
    *,
    signing_key: Any,
    issuer: Certificate | None,
    subject_key_der: bytes,
    common_name: str,
    organisation: str,
    serial_number: str | None = None,
    not_before: dt.datetime,
    days: int,
    ca: bool,
) -> Certificate:
    """An SM2-with-SM3 X.509 v3 certificate for `subject_key_der`, signed by `signing_key` (the
    issuer's private key; `issuer` None: self-signed, so `signing_key` is the subject's)."""
    subject = _name(common_name, organisation, serial_number)
    algorithm = algos.SignedDigestAlgorithm({"algorithm": crypto.SM2_WITH_SM3_OID})
    subject_id = _key_identifier(subject_key_der)
    authority_id = subject_id if issuer is None else _key_identifier(issuer.public_key_der)
    usage = (
        {"key_cert_sign", "crl_sign", "digital_signature"} if ca else {"digital_signature", "non_repudiation"}
    )
    extensions: list[dict[str, Any]] = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": subject_id},
        {
            "extn_id": "authority_key_identifier",
            "critical": False,
            "extn_value": {"key_identifier": authority_id},
        },
    ]
    issuer_name = (
        subject if issuer is None else x509.Certificate.load(issuer.der)["tbs_certificate"]["subject"]
    )
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63) | (1 << 62),
            "signature": algorithm,
            "issuer": issuer_name,
            "validity": {
                "not_before": _time(not_before),
                "not_after": _time(not_before + dt.timedelta(days=days)),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(subject_key_der),
            "extensions": extensions,
        }
    )
    signature = crypto.sm2_sign(signing_key, bytes(tbs.dump()))
    cert = x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return read_certificate(bytes(cert.dump()))

"""XML-DSig on CEB messages: verify the enveloped signature of an incoming message step by step,
sign a message with an enterprise's SM2 key, and sign a receipt detached.

Verification (W3C XML-Signature Syntax and Processing, 2nd ed., §3.2 core validation):

1. algorithms: SignatureMethod `http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3` with
   DigestMethod `…#sm3` (海关跨境电商统一版系统企业对接报文规范 202205版), or the W3C
   `rsa-sha1` / `rsa-sha256` with SHA-1 / SHA-256 (2018年第113号公告); one Reference, URI="",
   transforms: enveloped-signature and at most one canonicalisation;
2. certificate: the one in KeyInfo (X509Certificate, else KeyName = its serial) must be registered
   on the sender's enterprise filing, valid at the message's time and not revoked;
3. digest: the Reference's digest over the canonical document without the Signature element;
4. signature value: over canonical SignedInfo with the certificate's key — SM2 with SM3 and the
   default user ID 1234567812345678 (GM/T 0009-2012), r‖s (64 bytes) or DER; RSA PKCS#1 v1.5, by
   `signxml` (a maintained XML-DSig implementation) over the same message.

Each failure is a `SignatureFailure` with a stable code and a Chinese message naming the step.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from silkgate.kit import crypto, safexml
from silkgate.trust.certificates import Certificate, CertificateUnreadable, read_certificate

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SM2_SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

# SignatureMethod -> (key algorithm, the digests it may be paired with, hash of the signature)
SIGNATURE_METHODS: dict[str, tuple[str, frozenset[str], str]] = {
    SM2_SM3: ("sm2", frozenset({SM3}), "sm3"),
    RSA_SHA1: ("rsa", frozenset({SHA1, SHA256}), "sha1"),
    RSA_SHA256: ("rsa", frozenset({SHA1, SHA256}), "sha256"),
}
DIGEST_NAMES = {SM3: "SM3", SHA1: "SHA-1", SHA256: "SHA-256"}
DIGEST_SIZES = {SM3: 32, SHA1: 20, SHA256: 32}
METHOD_NAMES = {SM2_SM3: "SM2-SM3", RSA_SHA1: "RSA-SHA1", RSA_SHA256: "RSA-SHA256"}

_SIG = f"{{{DS_NS}}}"
_PATH = "Signature"


def _digest(algorithm: str, data: bytes) -> bytes:
    if algorithm == SM3:
        return crypto.sm3(data)
    if algorithm == SHA1:
        return hashlib.sha1(data, usedforsecurity=False).digest()  # the 2018 edition's digest
    return hashlib.sha256(data).digest()


@dataclass(frozen=True)
class SignatureFailure:
    """Why a message's signature was not accepted: the step, a stable code, the field, in Chinese."""

    step: str  # structure | algorithm | certificate | digest | signature_value
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class TrustedKey:
    """A certificate registered on the sender's filing, as the verifier needs it."""

    certificate: Certificate
    revoked_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return f"证书{self.certificate.serial_hex}（{self.certificate.subject}）"


# Given the DER certificate in KeyInfo (None when absent) and the KeyName (""), the key registered
# on the sender's filing that it names, or None.
KeyFinder = Callable[[bytes | None, str], TrustedKey | None]


@dataclass
class _Parts:
    signature: Any
    signed_info: Any
    c14n: str
    method: str
    transforms: list[str]
    digest_method: str
    digest_value: bytes
    signature_value: bytes
    key_name: str
    certificate_der: bytes | None


def _fail(step: str, code: str, field: str, message: str) -> SignatureFailure:
    return SignatureFailure(step, code, field, message)


def _b64(text: str | None) -> bytes:
    return base64.b64decode("".join((text or "").split()), validate=True)


def _one(parent: Any, name: str) -> Any:
    found = parent.findall(_SIG + name)
    return found[0] if len(found) == 1 else None


def _read(root: Any) -> _Parts | SignatureFailure:
    signatures = root.findall(_SIG + "Signature")
    if len(signatures) != 1:
        return _fail(
            "structure",
            "signature_malformed",
            _PATH,
            f"报文应有且只有一个电子签名(Signature)，实有{len(signatures)}个",
        )
    sig = signatures[0]
    signed_info = _one(sig, "SignedInfo")
    if signed_info is None:
        return _fail("structure", "signature_malformed", f"{_PATH}.SignedInfo", "签名缺少SignedInfo")
    c14n_el, method_el = _one(signed_info, "CanonicalizationMethod"), _one(signed_info, "SignatureMethod")
    references = signed_info.findall(_SIG + "Reference")
    if c14n_el is None or method_el is None or len(references) != 1:
        return _fail(
            "structure",
            "signature_malformed",
            f"{_PATH}.SignedInfo",
            f"SignedInfo应含CanonicalizationMethod、SignatureMethod和一个Reference（实有{len(references)}个Reference）",
        )
    reference = references[0]
    if reference.get("URI") != "":
        return _fail(
            "algorithm",
            "signature_reference_unsupported",
            f"{_PATH}.SignedInfo.Reference.@URI",
            f'签名应覆盖整个报文（Reference URI=""），收到URI="{reference.get("URI")}"',
        )
    transforms = [t.get("Algorithm") or "" for t in reference.iterfind(f"{_SIG}Transforms/{_SIG}Transform")]
    digest_el, value_el = _one(reference, "DigestMethod"), _one(reference, "DigestValue")
    sig_value_el = _one(sig, "SignatureValue")
    if digest_el is None or value_el is None or sig_value_el is None:
        return _fail(
            "structure", "signature_malformed", _PATH, "签名缺少DigestMethod、DigestValue或SignatureValue"
        )
    try:
        digest_value = _b64(value_el.text)
    except (binascii.Error, ValueError):
        return _fail(
            "digest",
            "signature_digest_unreadable",
            f"{_PATH}.SignedInfo.Reference.DigestValue",
            "摘要值(DigestValue)不是合法的Base64",
        )
    try:
        signature_value = _b64(sig_value_el.text)
    except (binascii.Error, ValueError):
        return _fail(
            "signature_value",
            "signature_value_unreadable",
            f"{_PATH}.SignatureValue",
            "签名值(SignatureValue)不是合法的Base64",
        )
    key_info = _one(sig, "KeyInfo")
    key_name = ""
    certificate_der: bytes | None = None
    if key_info is not None:
        name_el = _one(key_info, "KeyName")
        key_name = (name_el.text or "").strip() if name_el is not None else ""
        cert_el = key_info.find(f"{_SIG}X509Data/{_SIG}X509Certificate")
        if cert_el is not None:
            try:
                certificate_der = _b64(cert_el.text)
            except (binascii.Error, ValueError):
                return _fail(
                    "certificate",
                    "signature_certificate_unreadable",
                    f"{_PATH}.KeyInfo.X509Data.X509Certificate",
                    "签名证书(X509Certificate)不是合法的Base64",
                )
    return _Parts(
        signature=sig,
        signed_info=signed_info,
        c14n=c14n_el.get("Algorithm") or "",
        method=method_el.get("Algorithm") or "",
        transforms=transforms,
        digest_method=digest_el.get("Algorithm") or "",
        digest_value=digest_value,
        signature_value=signature_value,
        key_name=key_name,
        certificate_der=certificate_der,
    )


def _check_algorithms(parts: _Parts) -> SignatureFailure | None:
    where = f"{_PATH}.SignedInfo"
    if parts.method not in SIGNATURE_METHODS:
        return _fail(
            "algorithm",
            "signature_algorithm_unsupported",
            f"{where}.SignatureMethod.@Algorithm",
            f"不支持的签名算法{parts.method}（支持SM2-SM3 {SM2_SM3}、RSA-SHA1、RSA-SHA256）",
        )
    _, digests, _ = SIGNATURE_METHODS[parts.method]
    if parts.digest_method not in digests:
        return _fail(
            "algorithm",
            "signature_algorithm_unsupported",
            f"{where}.Reference.DigestMethod.@Algorithm",
            f"签名算法{METHOD_NAMES[parts.method]}不能与摘要算法{parts.digest_method}配合使用"
            f"（应为{'、'.join(sorted(DIGEST_NAMES[d] for d in digests))}）",
        )
    if parts.c14n not in safexml.C14N_ALGORITHMS:
        return _fail(
            "algorithm",
            "signature_algorithm_unsupported",
            f"{where}.CanonicalizationMethod.@Algorithm",
            f"不支持的规范化算法{parts.c14n}",
        )
    other = [t for t in parts.transforms if t != ENVELOPED and t not in safexml.C14N_ALGORITHMS]
    if ENVELOPED not in parts.transforms or other or len(parts.transforms) > 2:
        return _fail(
            "algorithm",
            "signature_algorithm_unsupported",
            f"{where}.Reference.Transforms",
            "Reference的变换应为enveloped-signature（可另加一个规范化算法），收到："
            + ("、".join(parts.transforms) or "无"),
        )
    return None


def _certificate_label(parts: _Parts) -> tuple[Certificate | None, str]:
    if parts.certificate_der is None:
        return None, f"KeyName“{parts.key_name}”" if parts.key_name else "（签名未携带证书和KeyName）"
    try:
        cert = read_certificate(parts.certificate_der)
    except CertificateUnreadable:
        return None, ""
    label = f"序列号{cert.serial_hex}（{cert.subject}）"
    if parts.key_name:
        label += f"，KeyName“{parts.key_name}”"
    return cert, label


def _check_certificate(parts: _Parts, find_key: KeyFinder, at: dt.datetime) -> TrustedKey | SignatureFailure:
    field = f"{_PATH}.KeyInfo"
    found = find_key(parts.certificate_der, parts.key_name)
    if found is None:
        cert, label = _certificate_label(parts)
        if parts.certificate_der is not None and cert is None:
            return _fail(
                "certificate",
                "signature_certificate_unreadable",
                f"{field}.X509Data.X509Certificate",
                "签名证书(X509Certificate)无法解析为X.509证书（证书内容可能被改动）",
            )
        return _fail(
            "certificate",
            "signature_certificate_not_registered",
            field,
            f"签名证书{label}未在发送方企业的备案中登记（第2步 证书校验）；请先在企业备案的“签名证书”中登记该证书",
        )
    cert = found.certificate
    if found.revoked_at is not None and found.revoked_at <= at:
        return _fail(
            "certificate",
            "signature_certificate_revoked",
            field,
            f"签名{found.label}已于{found.revoked_at:%Y-%m-%d %H:%M} UTC注销（第2步 证书校验）",
        )
    if at < cert.not_before or at > cert.not_after:
        return _fail(
            "certificate",
            "signature_certificate_expired",
            field,
            f"签名{found.label}在报文时间{at:%Y-%m-%d %H:%M} UTC不在有效期内"
            f"（{cert.not_before:%Y-%m-%d}至{cert.not_after:%Y-%m-%d}，第2步 证书校验）",
        )
    return found


def _reference_octets(root: Any, parts: _Parts) -> bytes:
    """The Reference's data: the document without its Signature element, canonicalised."""
    doc = copy.deepcopy(root)
    safexml.detach(doc.find(_SIG + "Signature"))
    c14n = next((t for t in parts.transforms if t in safexml.C14N_ALGORITHMS), C14N)
    return safexml.canonical_document(doc, c14n)


def _check_digest(root: Any, parts: _Parts) -> SignatureFailure | None:
    computed = _digest(parts.digest_method, _reference_octets(root, parts))
    if hmac.compare_digest(computed, parts.digest_value):
        return None
    name = DIGEST_NAMES[parts.digest_method]
    note = ""
    expected_size = DIGEST_SIZES[parts.digest_method]
    if len(parts.digest_value) != expected_size:
        guess = {20: "（20字节，像是SHA-1摘要）", 32: "（32字节）"}.get(len(parts.digest_value), "")
        note = f"；签名中的摘要值长{len(parts.digest_value)}字节{guess}，而{name}摘要应为{expected_size}字节"
    return _fail(
        "digest",
        "signature_digest_mismatch",
        f"{_PATH}.SignedInfo.Reference.DigestValue",
        f"摘要不符（第3步 摘要校验，算法{name}）：报文计算得到{base64.b64encode(computed).decode()}，"
        f"签名中为{base64.b64encode(parts.digest_value).decode()}{note}；报文内容在签名后被改动，或签名软件的摘要计算有误",
    )


def _verify_rsa(data: bytes, parts: _Parts, key: TrustedKey) -> str | None:
    """RSA signatures go through signxml (digest and signature value, as the W3C specification
    says); None when it verifies, else its reason."""
    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    config = SignatureConfiguration(
        require_x509=False,
        signature_methods=frozenset({SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256}),
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
        ignore_ambiguous_key_info=True,
    )
    try:
        XMLVerifier().verify(data, x509_cert=key.certificate.pem, expect_config=config)
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def _check_signature_value(data: bytes, parts: _Parts, key: TrustedKey) -> SignatureFailure | None:
    field = f"{_PATH}.SignatureValue"
    wanted, _, _ = SIGNATURE_METHODS[parts.method]
    cert = key.certificate
    if cert.algorithm != wanted:
        return _fail(
            "signature_value",
            "signature_key_mismatch",
            field,
            f"签名算法{METHOD_NAMES[parts.method]}需要{wanted.upper()}证书，{key.label}是{cert.algorithm.upper()}证书（第4步 签名值校验）",
        )
    if wanted == "sm2":
        signed_info = safexml.canonical(parts.signed_info, parts.c14n)
        if len(parts.signature_value) not in (64, 70, 71, 72) or not crypto.sm2_verify(
            crypto.sm2_load_public_key(cert.public_key_der), signed_info, parts.signature_value
        ):
            return _fail(
                "signature_value",
                "signature_value_invalid",
                field,
                f"签名值验证失败（第4步 签名值校验，SM2-SM3）：SignatureValue不是{key.label}的私钥对SignedInfo的签名",
            )
        return None
    reason = _verify_rsa(data, parts, key)
    if reason is not None:
        return _fail(
            "signature_value",
            "signature_value_invalid",
            field,
            f"签名值验证失败（第4步 签名值校验，{METHOD_NAMES[parts.method]}）：SignatureValue不是{key.label}的私钥对SignedInfo的签名",
        )
    return None


def verify_message(
    data: bytes, find_key: KeyFinder, *, at: dt.datetime, max_bytes: int
) -> SignatureFailure | None:
    """Core validation of a message's enveloped ds:Signature; None when it verifies."""
    try:
        root = safexml.parse_bytes(data, max_bytes, for_digest=True)
    except safexml.XmlRefused as exc:
        return _fail("structure", "signature_malformed", _PATH, exc.message)
    parts = _read(root)
    if isinstance(parts, SignatureFailure):
        return parts
    failure = _check_algorithms(parts)
    if failure is not None:
        return failure
    key = _check_certificate(parts, find_key, at)
    if isinstance(key, SignatureFailure):
        return key
    return _check_digest(root, parts) or _check_signature_value(data, parts, key)


# --- signing ---------------------------------------------------------------------------------------


def _el(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
    el = safexml.sub(parent, _SIG + name, text)
    for k, v in attrs.items():
        el.set(k, v)
    return el


def _key_info(sig: Any, certificate: Certificate) -> None:
    key_info = _el(sig, "KeyInfo")
    _el(key_info, "KeyName", certificate.serial_hex)
    _el(_el(key_info, "X509Data"), "X509Certificate", certificate.base64)


def _indent(sig: Any) -> None:
    """Line breaks inside the Signature, as the official samples have them (part of SignedInfo's
    canonical form, so set before it is signed)."""
    for el in sig.iter():
        if len(el):
            el.text = "\n"
        el.tail = "\n"


def sign_message(
    data: bytes, key: Any, certificate: Certificate, *, max_bytes: int = 64 * 1024 * 1024
) -> bytes:
    """`data` with an enveloped SM2-SM3 ds:Signature as the root's last child (any old one replaced):
    Reference URI="" with enveloped-signature, DigestMethod sm3, KeyInfo with KeyName (the
    certificate serial) and X509Certificate. Raises XmlRefused for bytes that are not XML."""
    root = safexml.parse_bytes(data, max_bytes, for_digest=True)
    for old in root.findall(_SIG + "Signature"):
        safexml.detach(old)
    sig = safexml.build(_SIG + "Signature", nsmap={"ds": DS_NS})
    signed_info = _el(sig, "SignedInfo")
    _el(signed_info, "CanonicalizationMethod", Algorithm=C14N)
    _el(signed_info, "SignatureMethod", Algorithm=SM2_SM3)
    reference = _el(signed_info, "Reference", URI="")
    _el(_el(reference, "Transforms"), "Transform", Algorithm=ENVELOPED)
    _el(reference, "DigestMethod", Algorithm=SM3)
    digest_value = _el(reference, "DigestValue", "")
    signature_value = _el(sig, "SignatureValue", "")
    _key_info(sig, certificate)
    _indent(sig)
    root.append(sig)
    parts = _Parts(sig, signed_info, C14N, SM2_SM3, [ENVELOPED], SM3, b"", b"", "", None)
    digest_value.text = base64.b64encode(crypto.sm3(_reference_octets(root, parts))).decode()
    raw = crypto.sm2_raw_signature(crypto.sm2_sign(key, safexml.canonical(signed_info, C14N)))
    signature_value.text = base64.b64encode(raw).decode()
    return safexml.to_bytes(root)


def detached_signature(data: bytes, uri: str, key: Any, certificate: Certificate) -> bytes:
    """A detached ds:Signature over the octets `data` found at `uri` (no transforms: the digest is
    SM3 of exactly those bytes), SignatureMethod sm2-sm3, KeyInfo with the signer's certificate."""
    sig = safexml.build(_SIG + "Signature", nsmap={"ds": DS_NS})
    signed_info = _el(sig, "SignedInfo")
    _el(signed_info, "CanonicalizationMethod", Algorithm=C14N)
    _el(signed_info, "SignatureMethod", Algorithm=SM2_SM3)
    reference = _el(signed_info, "Reference", URI=uri)
    _el(reference, "DigestMethod", Algorithm=SM3)
    _el(reference, "DigestValue", base64.b64encode(crypto.sm3(data)).decode())
    signature_value = _el(sig, "SignatureValue", "")
    _key_info(sig, certificate)
    _indent(sig)
    raw = crypto.sm2_raw_signature(crypto.sm2_sign(key, safexml.canonical(signed_info, C14N)))
    signature_value.text = base64.b64encode(raw).decode()
    return safexml.to_bytes(sig)


def verify_detached(signature_xml: bytes, data: bytes, certificate: Certificate) -> SignatureFailure | None:
    """Check a detached SM2-SM3 signature over `data` with `certificate` (what an enterprise or an
    agency does with a receipt and GET /api/v1/platform/certificate)."""
    sig = safexml.parse_bytes(signature_xml, 1024 * 1024, for_digest=True)
    signed_info = _one(sig, "SignedInfo")
    if sig.tag != _SIG + "Signature" or signed_info is None:
        return _fail("structure", "signature_malformed", _PATH, "不是XML-DSig签名")
    reference = _one(signed_info, "Reference")
    method = signed_info.find(_SIG + "SignatureMethod")
    if reference is None or method is None or method.get("Algorithm") != SM2_SM3:
        return _fail("algorithm", "signature_algorithm_unsupported", _PATH, "应为一个Reference的SM2-SM3签名")
    digest_value = _b64(reference.findtext(_SIG + "DigestValue"))
    if not hmac.compare_digest(digest_value, crypto.sm3(data)):
        return _fail(
            "digest",
            "signature_digest_mismatch",
            f"{_PATH}.SignedInfo.Reference.DigestValue",
            "回执内容与签名摘要不符",
        )
    canonical = safexml.canonical(
        signed_info, signed_info.find(_SIG + "CanonicalizationMethod").get("Algorithm")
    )
    value = _b64(sig.findtext(_SIG + "SignatureValue"))
    if not crypto.sm2_verify(crypto.sm2_load_public_key(certificate.public_key_der), canonical, value):
        return _fail(
            "signature_value", "signature_value_invalid", f"{_PATH}.SignatureValue", "签名值验证失败"
        )
    return None

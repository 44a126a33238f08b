#!/usr/bin/env python3
"""Check a silkgate traceability-log proof without silkgate (docs/signatures-and-ledger.md).

    python3 verify_ledger_proof.py proof.json [--message RAW.xml | --leaf-input HEX] [--certificate platform.pem]

proof.json is what `GET /api/v1/ledger/proof?guid=…` or `silkgate ledger proof --guid …` answered.
Checks, RFC 9162 §2.1.3.2 with SM3 for SHA-256: (1) the leaf hash is SM3(0x00 ‖ SM3(message bytes))
when the message is given; (2) the audit path leads from the leaf to root_hash; (3) the checkpoint
body names the same tree size and root; (4) with the platform certificate (GET
/api/v1/platform/certificate), the checkpoint's SM2 signature verifies (the `openssl` command,
OpenSSL 3, SM2 with the default user ID 1234567812345678). Needs only Python's standard library;
SM3 from hashlib, or from `openssl dgst -sm3` where this Python's OpenSSL lacks it. Exit 0: valid.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def sm3(data: bytes) -> bytes:
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    done = subprocess.run(["openssl", "dgst", "-sm3", "-binary"], input=data, capture_output=True, check=True)
    return done.stdout


def leaf_hash(leaf_input: bytes) -> bytes:
    return sm3(b"\x00" + leaf_input)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sm3(b"\x01" + left + right)


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an audit path leads to, or None when it cannot be one."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def signature_valid(checkpoint: bytes, signature_b64: str, certificate: Path) -> bool:
    """The checkpoint's SM2 signature (base64 DER) against the first certificate of the PEM file."""
    with tempfile.TemporaryDirectory() as tmp:
        pub, body, sig = Path(tmp, "pub.pem"), Path(tmp, "checkpoint"), Path(tmp, "sig.der")
        subprocess.run(
            ["openssl", "x509", "-in", str(certificate), "-pubkey", "-noout", "-out", str(pub)], check=True
        )
        body.write_bytes(checkpoint)
        sig.write_bytes(base64.b64decode(signature_b64))
        done = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(pub),
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
                "-in",
                str(body),
                "-sigfile",
                str(sig),
            ],
            capture_output=True,
        )
        return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", type=Path)
    parser.add_argument("--message", type=Path, help="the raw message as sent (its leaf input is its SM3)")
    parser.add_argument("--leaf-input", help="the leaf input in hex, instead of --message")
    parser.add_argument("--certificate", type=Path, help="the platform certificate (PEM)")
    args = parser.parse_args(argv)
    proof = json.loads(args.proof.read_text(encoding="utf-8"))
    leaf = bytes.fromhex(proof["leaf_hash"])
    ok = True
    if args.message or args.leaf_input:
        leaf_input = sm3(args.message.read_bytes()) if args.message else bytes.fromhex(args.leaf_input)
        same = leaf_hash(leaf_input) == leaf
        print(f"leaf hash matches the message: {same}")
        ok &= same
    root = root_from_path(
        proof["leaf_index"], proof["tree_size"], leaf, [bytes.fromhex(h) for h in proof["audit_path"]]
    )
    included = root is not None and root.hex() == proof["root_hash"]
    print(f"audit path leads to the root (leaf {proof['leaf_index']} of {proof['tree_size']}): {included}")
    ok &= included
    lines = proof["checkpoint"].split("\n")
    named = (
        len(lines) >= 4
        and lines[1] == str(proof["tree_size"])
        and lines[2] == base64.b64encode(bytes.fromhex(proof["root_hash"])).decode()
    )
    print(f"checkpoint names that tree size and root ({lines[0]}): {named}")
    ok &= named
    if args.certificate:
        signed = signature_valid(
            proof["checkpoint"].encode(), proof["checkpoint_signature"], args.certificate
        )
        print(f"checkpoint signed by the platform key: {signed}")
        ok &= signed
    print("VALID" if ok else "INVALID")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

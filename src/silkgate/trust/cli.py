"""Trust commands: `silkgate keys issue`, `silkgate sign`, `silkgate ledger checkpoint|proof|consistency|verify`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from silkgate.clitools import cli_unit_of_work, err_console

keys_app = typer.Typer(help="Signing keys and certificates (SM2).", no_args_is_help=True)
ledger_app = typer.Typer(help="The traceability log (RFC 9162 Merkle tree with SM3).", no_args_is_help=True)


@keys_app.command("issue")
def keys_issue(
    org: Annotated[int, typer.Option(help="The enterprise's organisation id.")],
    out: Annotated[Path, typer.Option(help="Directory for key.pem and cert.pem (created if missing).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing key.pem.")] = False,
) -> None:
    """Issue an SM2 key (DIR/key.pem, PKCS#8) and an SM2/SM3 certificate by the platform CA
    (DIR/cert.pem), registered on the enterprise's filing. The platform keeps no copy of the key."""
    from sqlalchemy import select

    from silkgate.exceptions import NotFound
    from silkgate.kit import crypto
    from silkgate.models.registry import Enterprise
    from silkgate.trust import service

    key_path, cert_path = out / "key.pem", out / "cert.pem"
    if key_path.exists() and not force:
        err_console.print(f"[red]错误[/red] {escape(str(key_path))} 已存在（用 --force 覆盖）")
        raise typer.Exit(2)
    with cli_unit_of_work() as session:
        enterprise = session.scalar(select(Enterprise).where(Enterprise.org_id == org))
        if enterprise is None:
            raise NotFound(f"机构{org}没有企业备案")
        key, row = service.issue_enterprise_key(session, enterprise)
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(crypto.sm2_private_key_pem(key))
        cert_path.write_text(row.certificate_pem)
        typer.echo(
            f"{enterprise.name}：证书序列号 {row.serial_hex}，有效期至 {row.not_after:%Y-%m-%d}，已登记在企业备案；"
            f"私钥 {key_path}，证书 {cert_path}"
        )


def sign(
    source: Annotated[Path, typer.Argument(help="The CEB message (XML).", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the signed message.")],
    key: Annotated[Path, typer.Option(help="SM2 private key, PKCS#8 PEM.", exists=True, dir_okay=False)],
    cert: Annotated[Path, typer.Option(help="The key's certificate, PEM.", exists=True, dir_okay=False)],
) -> None:
    """Sign a CEB message: an enveloped ds:Signature (SM2-SM3, digest SM3, KeyInfo with the
    certificate), replacing any signature it had."""
    from silkgate.kit import crypto, safexml
    from silkgate.trust.certificates import CertificateUnreadable, read_certificate
    from silkgate.trust.signatures import sign_message

    try:
        private = crypto.sm2_load_private_key(key.read_bytes())
        certificate = read_certificate(cert.read_bytes())
    except (ValueError, CertificateUnreadable) as exc:
        err_console.print(f"[red]错误[/red] 密钥或证书无法读取：{escape(str(exc))}")
        raise typer.Exit(2) from exc
    if crypto.sm2_public_key_der(private) != certificate.public_key_der:
        err_console.print("[red]错误[/red] 私钥与证书不匹配")
        raise typer.Exit(2)
    try:
        signed = sign_message(source.read_bytes(), private, certificate)
    except safexml.XmlRefused as exc:
        err_console.print(f"[red]错误[/red] {escape(exc.message)}")
        raise typer.Exit(2) from exc
    output.write_bytes(signed)
    typer.echo(f"已签名：{output}（证书 {certificate.serial_hex}）")


@ledger_app.command("checkpoint")
def ledger_checkpoint() -> None:
    """Sign the log's current tree head and print it as JSON."""
    from silkgate.trust import ledger

    with cli_unit_of_work() as session:
        row = ledger.make_checkpoint(session)
        out = ledger.checkpoint_json(row)
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@ledger_app.command("proof")
def ledger_proof(guid: Annotated[str, typer.Option(help="The message guid.")]) -> None:
    """Print the inclusion proof (RFC 9162 §2.1.3) of a message in a freshly signed checkpoint."""
    from silkgate.trust import ledger

    with cli_unit_of_work() as session:
        ledger.make_checkpoint(session)
        out = ledger.proof_for_guid(session, None, guid)
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@ledger_app.command("consistency")
def ledger_consistency(
    first: Annotated[int, typer.Option("--from", min=0, help="The older tree size.")],
    second: Annotated[int, typer.Option("--to", min=0, help="The newer tree size.")],
) -> None:
    """Print the consistency proof (RFC 9162 §2.1.4) between two tree sizes."""
    from silkgate.trust import ledger

    with cli_unit_of_work() as session:
        try:
            out = ledger.consistency_proof(session, first, second)
        except ValueError as exc:
            err_console.print(f"[red]错误[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute every leaf from the stored rows and every checkpoint from the leaves: exit 0 when
    intact, 1 naming the first bad entry (table, id, guid) otherwise."""
    from silkgate.trust import ledger

    with cli_unit_of_work() as session:
        report = ledger.verify_store(session)
    if report.intact:
        typer.echo(f"溯源日志完好：{report.leaves}条记录，{report.checkpoints}个签名检查点均与库中数据一致")
        return
    first = report.findings[0]
    err_console.print(
        f"[red]溯源日志不一致[/red]：共{len(report.findings)}处；第一处：{escape(first.describe())}"
    )
    for finding in report.findings[1:20]:
        err_console.print(escape(f"  - {finding.describe()}"))
    typer.echo(
        json.dumps(
            {
                "intact": False,
                "first_bad": {"table": first.source, "id": first.source_id, "guid": first.guid},
            },
            ensure_ascii=False,
        )
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(ledger_app, name="ledger")
    app.command("sign")(sign)

"""The `silkgate` command: serve, db, demo, admin, and each domain's commands (ingest, load, bench, ...)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Annotated

import typer

import silkgate
from silkgate.clitools import ZONE_HELP, bench_app, cli_unit_of_work, err_console, wrap_at_clauses, zone_code

app = typer.Typer(
    help="silkgate — 跨境电商综试区线上综合服务平台",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
admin_app = typer.Typer(help="Organisations, users and API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(bench_app, name="bench")


def _default_port() -> int:
    return int(os.environ.get("PORT", "8000"))


def prepare_database() -> None:
    """Migrate an empty or older database to head and load the reference data (zones, targets, tariff)."""
    from silkgate.migrate import upgrade_if_needed
    from silkgate.registry.bootstrap import ensure_reference_data

    upgrade_if_needed()
    with cli_unit_of_work() as session:
        ensure_reference_data(session)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to REVISION (default: the newest) and load the reference data."""
    from silkgate.migrate import upgrade

    upgrade(revision)
    if revision == "head":
        prepare_database()
    typer.echo(f"数据库已迁移到 {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (`base` drops everything)."""
    from silkgate.migrate import downgrade

    downgrade(revision)
    typer.echo(f"数据库已回退到 {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    from silkgate.migrate import current_revision

    typer.echo(current_revision() or "(empty)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 8000).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (SQLite: writes are serialised across them).")
    ] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (one line each).")] = True,
    quiet: Annotated[bool, typer.Option(hidden=True)] = False,
) -> None:
    """Serve the web UI and the API (migrates an empty database first)."""
    import uvicorn

    from silkgate.config import get_settings
    from silkgate.trust.ledger import start_checkpointer

    prepare_database()
    settings = get_settings()
    if settings.ledger_checkpoint_seconds:  # a signed tree head of the traceability log every minute
        start_checkpointer(settings.database_url, settings.ledger_checkpoint_seconds)
    port = port or _default_port()
    # Every worker must sign and check session cookies with the same secret.
    os.environ.setdefault("SILKGATE_SECRET_KEY", settings.secret_key)
    if not quiet:
        err_console.print(
            f"silkgate 已启动：http://{host}:{port}  （API 文档：/api/docs；{workers}个进程）", markup=False
        )
    # `demo` has printed the login address and accounts last; uvicorn's own start-up lines follow.
    uvicorn.run(
        "silkgate.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info" if not quiet else "warning",
        access_log=access_log,
    )


@app.command()
def demo(
    load_only: Annotated[
        bool, typer.Option("--load-only", help="Exit after loading instead of serving.")
    ] = False,
    zone: Annotated[str | None, typer.Option(help=ZONE_HELP + " Default: Yuncheng 140800.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 8000).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Load the realistic synthetic demo zone (harmless to repeat), then serve it."""
    from silkgate.demo import DEFAULT_ZONE, DEMO_PASSWORD, load_demo
    from silkgate.registry.demo import demo_accounts

    prepare_database()
    with cli_unit_of_work() as session:
        code = zone_code(session, zone) or DEFAULT_ZONE
        summary = load_demo(session, code)
        accounts = demo_accounts(session, code)
    width = max(40, min(err_console.width, 100))
    for line in summary:
        for part in wrap_at_clauses(line, width):
            err_console.print(part, markup=False, highlight=False, soft_wrap=True)
    url = f"http://{host}:{port or _default_port()}/login"
    err_console.print("")
    err_console.print(
        f"登录地址：{url}" + ("" if not load_only else "（先运行 silkgate serve）"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    err_console.print(
        f"演示账号（密码均为 {DEMO_PASSWORD}）：", markup=False, highlight=False, soft_wrap=True
    )
    listed = "；".join(f"{label} {'、'.join(names)}" for label, names in accounts)
    for part in wrap_at_clauses(listed, width - 2, indent=""):
        err_console.print(f"  {part}", markup=False, highlight=False, soft_wrap=True)
    if not load_only:
        serve(host=host, port=port, workers=workers, quiet=True)


@admin_app.command("create-org")
def create_org(
    kind: Annotated[
        str,
        typer.Option(
            help="zone_office, enterprise, customs, tax, forex, commerce, "
            "market_regulation, bank, insurer or park_operator"
        ),
    ],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    uscc: Annotated[str | None, typer.Option(help="Unified social credit code (18 characters).")] = None,
    zone: Annotated[str | None, typer.Option(help=ZONE_HELP)] = None,
) -> None:
    """Create an organisation and print its id."""
    from silkgate.auth.service import create_organisation

    with cli_unit_of_work() as session:
        org = create_organisation(
            session, kind=kind, name=name, uscc=uscc, zone_code=zone_code(session, zone)
        )
        org_id = org.id
    typer.echo(org_id)


@admin_app.command("create-key")
def create_key(
    org: Annotated[int, typer.Option(help="Organisation id.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key for an organisation and print it (shown only this once)."""
    from silkgate.auth.service import create_api_key

    with cli_unit_of_work() as session:
        key = create_api_key(session, org, label)
    typer.echo(key)


@admin_app.command("create-user")
def create_user_cmd(
    org: Annotated[int, typer.Option(help="Organisation id.")],
    username: Annotated[str, typer.Option(help="Login name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "",
) -> None:
    """Create a web user for an organisation."""
    from silkgate.auth.service import create_user

    with cli_unit_of_work() as session:
        user = create_user(
            session, org_id=org, username=username, password=password, display_name=display_name or username
        )
        user_id = user.id
    typer.echo(user_id)


def _register_bench_http() -> None:
    from silkgate.httpbench import bench_http

    bench_app.command("http")(bench_http)


_register_bench_http()


def _register_domain_commands() -> None:
    """Each domain may ship `cli.py` with `register(app)` adding its commands (ingest, load, ...).

    The domains are found on disk rather than through `silkgate.app.DOMAINS`: importing the web app
    (FastAPI, every router and model) would cost `silkgate --help` over a second. A domain's `cli.py`
    therefore imports its services inside the commands, not at module level
    (tests/test_cli_startup.py pins it)."""
    package = Path(silkgate.__file__).parent
    for cli_file in sorted(package.glob("*/cli.py")):
        importlib.import_module(f"silkgate.{cli_file.parent.name}.cli").register(app)


_register_domain_commands()


def main() -> None:
    app()

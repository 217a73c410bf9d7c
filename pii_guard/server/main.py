"""`pii-guard serve`: read the TOML file, build the app, run uvicorn (with TLS when configured)."""

from __future__ import annotations

import argparse
import ssl
import sys
from pathlib import Path

from pii_guard.config import serve_config_file, set_serve_config_file
from pii_guard.errors import PIIConfigurationError


def create_app_from_environment() -> object:
    """The app factory uvicorn workers call: workers are separate processes that import the app
    by name, and find the file `pii-guard serve` named in PII_GUARD_SERVE_CONFIG."""
    from pii_guard.server.app import create_app
    from pii_guard.server.settings import load_server_settings

    path = serve_config_file()
    if path is None:
        raise PIIConfigurationError("set PII_GUARD_SERVE_CONFIG to the service's TOML file")
    return create_app(load_server_settings(Path(path)))


def run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from pii_guard.server.settings import load_server_settings
        from pii_guard.server.tls import TLSExtensionProtocol
    except ImportError as error:
        print(
            f"pii-guard: error: serve needs the serve extra ({error.name} is missing): "
            "pip install 'flake8-pii-guard[serve]'",
            file=sys.stderr,
        )
        return 2
    config_path = Path(args.config).resolve()
    try:
        settings = load_server_settings(config_path)
        host = args.host or settings.host
        port = settings.port if args.port is None else args.port
        workers = args.workers or settings.workers
        set_serve_config_file(str(config_path))
        # Build once here even with workers: a bad key or file fails now, with a message.
        app: object = create_app_from_environment()
    except PIIConfigurationError as error:
        print(f"pii-guard: error: {error}", file=sys.stderr)
        return 2
    tls = settings.tls
    options: dict[str, object] = {}
    if tls is not None:
        options.update(ssl_certfile=str(tls.certificate), ssl_keyfile=str(tls.private_key))
        if tls.client_ca is not None:
            # Optional: clients with tokens need no certificate; a presented one must verify.
            options.update(ssl_ca_certs=str(tls.client_ca), ssl_cert_reqs=ssl.CERT_OPTIONAL)
    if workers > 1:
        app = "pii_guard.server.main:create_app_from_environment"
        options["factory"] = True
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        workers=workers,
        http=TLSExtensionProtocol,
        access_log=False,  # the audit log says what happened, without addresses of values
        # The peer address is the connection's: X-Forwarded-For must never make a request
        # look as if it came from a trusted proxy ([proxy] trusted_addresses).
        proxy_headers=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        **options,  # type: ignore[arg-type]
    )
    return 0

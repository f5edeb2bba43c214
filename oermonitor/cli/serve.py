"""`oermonitor serve`: the web front door (maintainers' links) on waitress."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from oermonitor.cli import Env, main, pass_env
from oermonitor.errors import BadInput


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 behind a reverse proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests handled at the same time.")
@pass_env
def serve_command(env: Env, host: str, port: int, threads: int) -> None:
    """Serve the pages behind the links in the emails ([web] settings).

    Runs beside the nightly job on the same database. The signing secret comes
    from the environment variable named by [web] secret_env.
    """
    from waitress import serve

    from oermonitor.links import secret_problem
    from oermonitor.web import create_app

    settings = env.settings
    problem = secret_problem(settings)
    if problem:
        raise BadInput(problem)
    if not settings.database.exists():
        raise BadInput(f"{settings.database}: no database yet; register materials first "
                       "(oermonitor import)")
    app = create_app(settings)
    public = settings.web.base_url or "(not set: the emails carry no links; set [web] base_url)"
    click.echo(f"Serving on http://{host}:{port} (public address: {public}); Ctrl-C stops.",
               err=True)
    # A base_url with a path (https://school.nl/oermonitor) is served under that path.
    prefix = urlsplit(settings.web.base_url).path.rstrip("/")
    serve(app, host=host, port=port, threads=threads, ident="oermonitor", url_prefix=prefix)

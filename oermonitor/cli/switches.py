"""The maintenance switches: confirm, mute, evergreen, review-every.

Apart from the overview commands: they record through `history`, which brings page
extraction along, and `status` should not load that.
"""

from __future__ import annotations

import click

from oermonitor import history, report
from oermonitor.cli import DATE, Env, by_address, main, pass_env
from oermonitor.cli.overview import KEY
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput


@main.command()
@KEY
@click.option("--by", help="Who confirms (email).")
@click.option("--note", help="A short note, e.g. what was checked.")
@pass_env
def confirm(env: Env, key, by, note) -> None:
    """Record that the material is still current: resets its stale clock."""
    by = by_address(by)
    material = report.find_material(env.store, key)
    history.confirm(env.store, material, by, note, utcnow())
    click.echo(f"Confirmed #{material['id']} {material['url']} as current.")


@main.command()
@KEY
@click.option("--until", type=DATE,
              help="Last day notifications stay paused (YYYY-MM-DD or DD-MM-YYYY).")
@click.option("--reason", help="Why (shown in the overview).")
@click.option("--off", is_flag=True, help="Unmute now.")
@click.option("--by", help="Who decided (email); recorded in the history.")
@pass_env
def mute(env: Env, key, until, reason, off, by) -> None:
    """Pause notifications about a material (checks continue)."""
    if not off and until is None:
        raise BadInput("mute needs --until DATE and --reason TEXT (or --off)")
    by = by_address(by)
    material = report.find_material(env.store, key)
    now = utcnow()
    history.mute(env.store, material, None if off else until, reason, now.date(),
                 by=by, now=now)
    click.echo(f"Unmuted #{material['id']}." if off
               else f"Muted #{material['id']} until {until.isoformat()}.")


@main.command()
@KEY
@click.option("--off", is_flag=True, help="Make it subject to the stale rule again.")
@click.option("--by", help="Who decided (email); recorded in the history.")
@pass_env
def evergreen(env: Env, key, off, by) -> None:
    """Mark a material as meant to stay unchanged: it is never stale."""
    by = by_address(by)
    material = report.find_material(env.store, key)
    history.set_evergreen(env.store, material, not off, by=by, now=utcnow())
    click.echo(f"#{material['id']} is {'no longer ' if off else ''}evergreen.")


@main.command("review-every")
@KEY
@click.argument("days", type=click.IntRange(min=1), required=False)
@click.option("--off", is_flag=True, help="Back to the default [policy] stale_after_days.")
@click.option("--by", help="Who decided (email); recorded in the history.")
@pass_env
def review_every(env: Env, key, days, off, by) -> None:
    """Give a material its own review interval in days (instead of stale_after_days)."""
    if days is None and not off:
        raise BadInput("review-every needs DAYS (or --off)")
    by = by_address(by)
    material = report.find_material(env.store, key)
    history.set_review_interval(env.store, material, None if off else days, by=by,
                                now=utcnow())
    click.echo(f"#{material['id']}: review " + (
        "interval back to the default" if off else f"every {days} days") + ".")

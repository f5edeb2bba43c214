"""A material's life cycle at the command line: move, retire, reassign, release, proposals.

Each command calls one `oermonitor.lifecycle` function and says what it did. `--by`
names who acted (recorded in the material's history); without it, the operator.
"""

from __future__ import annotations

import click

from oermonitor import lifecycle, notify, report
from oermonitor.cli import Env, by_address, main, pass_env, today_or
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput, OperationalError
from oermonitor.lock import RunLock

KEY = click.argument("key", metavar="ID_OR_URL")
BY = click.option("--by", help="Who did this (email); recorded in the history. "
                               "Default: the operator.")


@main.command()
@KEY
@click.argument("new_url", metavar="NEW_URL")
@BY
@click.option("--note", help="A short note for the history.")
@pass_env
def move(env: Env, key: str, new_url: str, by: str | None, note: str | None) -> None:
    """Give a material a new address. It keeps its id, history, maintainer and
    stale clock; the next run checks the new address."""
    material = report.find_material(env.store, key)
    moved = lifecycle.move(env.store, material, new_url, by=by_address(by), now=utcnow(), note=note)
    click.echo(f"Moved #{moved['id']}: {material['url']} -> {moved['url']} "
               "(checked at the new address with the next run).")


@main.command()
@KEY
@click.option("--reason", help="Why it is withdrawn (shown in the overview and history).")
@click.option("--undo", is_flag=True, help="Bring a retired material back.")
@BY
@pass_env
def retire(env: Env, key: str, reason: str | None, undo: bool, by: str | None) -> None:
    """Withdraw a material on purpose: no more checks or emails, kept in the history,
    shown as `retired` and not counted in the pilot's health. `--undo` brings it back."""
    material = report.find_material(env.store, key)
    if undo:
        if reason:
            raise click.UsageError("--undo takes no --reason")
        lifecycle.unretire(env.store, material, by=by_address(by), now=utcnow())
        click.echo(f"#{material['id']} is back: checked and mailed about again from the next run.")
        return
    if reason is None or not reason.strip():
        raise BadInput("retire needs --reason TEXT (why the material is withdrawn)")
    lifecycle.retire(env.store, material, reason=reason, by=by_address(by), now=utcnow())
    click.echo(f"Retired #{material['id']} {material['url']}: no more checks or emails.")


@main.command()
@click.argument("key", metavar="[ID_OR_URL]", required=False)
@click.option("--to", "to_email", required=True, help="The new maintainer's email.")
@click.option("--name", "to_name", help="The new maintainer's name.")
@click.option("--from", "from_email",
              help="Hand over every material of this maintainer (instead of ID_OR_URL).")
@BY
@click.option("--no-mail", is_flag=True,
              help="Do not send the welcome now; the next run sends it.")
@pass_env
def reassign(env: Env, key: str | None, to_email: str, to_name: str | None,
             from_email: str | None, by: str | None, no_mail: bool) -> None:
    """Hand a material (or with --from, all of a maintainer's) over to a new maintainer.

    The new maintainer gets a short welcome email listing what they now keep, and
    from then on the digests; the old one hears nothing more about them."""
    if bool(key) == bool(from_email):
        raise click.UsageError("give either ID_OR_URL or --from EMAIL")
    now = utcnow()
    if from_email:
        changed = lifecycle.reassign_maintainer(env.store, from_email, to_email=to_email,
                                                to_name=to_name, by=by_address(by), now=now)
        click.echo(f"Handed {len(changed)} material(s) of {from_email.strip().lower()} "
                   f"over to {to_email.strip().lower()}:")
        for material in changed:
            click.echo(f"  #{material['id']} {material['url']}")
    else:
        material = report.find_material(env.store, key or "")
        after = lifecycle.reassign(env.store, material, to_email=to_email, to_name=to_name,
                                   by=by_address(by), now=now)
        if (material["maintainer_email"] == after["maintainer_email"]
                and not material["unowned_since"]):
            click.echo(f"#{material['id']} is already kept by {after['maintainer_email']}.")
            return
        click.echo(f"#{after['id']} is now kept by {after['maintainer_email']}"
                   + (f" (was {material['maintainer_email']})."
                      if material["maintainer_email"] != after["maintainer_email"] else "."))
    if not no_mail:
        _welcome(env, now)


def _welcome(env: Env, now) -> None:
    """Send the welcome(s) now; if that cannot be done, the next run sends them."""
    try:
        with RunLock(env.settings.database):  # never alongside a nightly run
            sent = notify.send_welcomes(env.store, env.settings, today_or(None), now)
    except OperationalError as exc:
        click.echo(f"warning: welcome email not sent now ({exc}); the next run sends it",
                   err=True)
        return
    for delivery in sent.delivered:
        click.echo(f"Welcome email sent to {delivery.delivery.recipient}.")
    for refused in sent.refused:
        click.echo(f"warning: {refused.delivery.recipient} refused the welcome email "
                   f"({refused.delivery.detail}); marked as bounced", err=True)


@main.command()
@KEY
@BY
@click.option("--colleague", help="Who might take it on, as the maintainer suggests (email).")
@click.option("--note", help="The maintainer's note.")
@pass_env
def release(env: Env, key: str, by: str | None, colleague: str | None,
            note: str | None) -> None:
    """The maintainer no longer keeps a material: it shows as `no_maintainer` (and
    the coordinator hears of it) until it is handed over with `reassign`."""
    material = report.find_material(env.store, key)
    lifecycle.release(env.store, material, by=by_address(by), now=utcnow(),
                      colleague_email=colleague, note=note)
    click.echo(f"#{material['id']} has no maintainer now; hand it over with "
               f"`oermonitor reassign {material['id']} --to EMAIL`.")


@main.command()
@click.option("--dismiss", "dismiss", metavar="ID_OR_URL",
              help="Do not take the address proposed for this material.")
@click.option("--reason", help="With --dismiss: why (for the history).")
@BY
@pass_env
def proposals(env: Env, dismiss: str | None, reason: str | None, by: str | None) -> None:
    """New addresses maintainers proposed, awaiting the coordinator: take one with
    `oermonitor move ID NEW_URL`, or `--dismiss ID`."""
    if dismiss:
        material = report.find_material(env.store, dismiss)
        lifecycle.dismiss_proposal(env.store, material, by=by_address(by), now=utcnow(),
                                   reason=reason)
        click.echo(f"#{material['id']}: proposed address {material['proposed_url']} not taken.")
        return
    waiting = lifecycle.proposals(env.reader)
    if not waiting:
        click.echo("No proposed addresses waiting.")
        return
    click.echo(f"Proposed new addresses ({len(waiting)}):")
    for m in waiting:
        who = m["proposed_by"] or "the operator"
        click.echo(f"  #{m['id']:<6} {report.clean(m['title'] or m['page_title'] or m['url'])}")
        click.echo(f"  {'':7} now:      {m['url']}")
        click.echo(f"  {'':7} proposed: {m['proposed_url']} (by {who}, {m['proposed_at'][:10]})"
                   + (f": {report.clean(m['proposal_note'])}" if m["proposal_note"] else ""))
        click.echo(f"  {'':7} take it:  oermonitor move {m['id']} {m['proposed_url']}")

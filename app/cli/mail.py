"""``cdpl-gestion send-mail``: deliver the outbox from cron, a systemd timer, or a loop."""

from __future__ import annotations

import time

import click
from flask import Flask

from app.cli.base import FrenchCommand, with_database
from app.extensions import db
from app.history import acting_as
from app.mail.notices import queue_reminders
from app.mail.outbox import deliver_pending, purge_bodies, waiting_count
from app.mail.settings import NOT_CONFIGURED_MESSAGE, mail_configured

#: Actor label of the changes the command makes (reminders, states, purge).
ACTOR = "send-mail"


def _one_pass() -> None:
    reminders = queue_reminders()
    db.session.commit()
    purged = purge_bodies()
    report = deliver_pending()
    parts = [f"{report.sent} courriel(s) envoyé(s)"]
    if report.temporary:
        parts.append(f"{report.temporary} échec(s) temporaire(s), réessai plus tard")
    if report.permanent:
        parts.append(f"{report.permanent} échec(s) définitif(s)")
    if report.recovered:
        parts.append(f"{report.recovered} envoi(s) interrompu(s) remis en file")
    if reminders:
        parts.append(f"{reminders} rappel(s) préparé(s)")
    if purged:
        parts.append(f"{purged} texte(s) ancien(s) effacé(s)")
    click.echo(" ; ".join(parts) + ".")
    for error in report.errors:
        click.echo(f"  {error}")


@click.command("send-mail", cls=FrenchCommand)
@click.option(
    "--loop",
    is_flag=True,
    help="Continuer à tourner et envoyer au fil de l'eau (sinon : un passage).",
)
@click.option(
    "--interval",
    default=60,
    type=click.IntRange(min=1),
    help="Secondes entre deux passages avec --loop (par défaut 60).",
)
@with_database
def send_mail_command(loop: bool, interval: int) -> None:
    """Envoyer les courriels en attente (pour cron ou un minuteur systemd).

    Prépare aussi les rappels (si CDPL_MAIL_REMINDER_DAYS est défini), remet en
    file les envois interrompus et efface les textes plus anciens que la durée
    de conservation. Plusieurs envois simultanés n'envoient jamais deux fois le
    même message.
    """
    if not mail_configured():
        click.echo(NOT_CONFIGURED_MESSAGE)
        click.echo(f"{waiting_count()} courriel(s) en attente.")
        raise SystemExit(1)
    with acting_as(ACTOR):
        try:
            while True:
                _one_pass()
                db.session.remove()
                if not loop:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            click.echo(
                "Arrêt demandé : les courriels restants attendent le prochain passage."
            )


def register_commands(app: Flask) -> None:
    app.cli.add_command(send_mail_command)

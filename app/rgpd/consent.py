"""Which members consent, today, to a given use of their data.

A consent counts from its ``given_on`` day until the day before its
``withdrawn_on``; an anonymised member never counts (anonymisation deletes the
consents, this is a second lock). The answer is read from the database each
time, so a withdrawal takes effect at the next page view.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from app.extensions import db
from app.models import Member
from app.models.rgpd import Consent, ConsentPurpose
from app.timezone import PARIS


def _in_force(on: date):
    return sa.and_(
        Consent.given_on <= on,
        sa.or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > on),
    )


def consenting_members(
    purpose: ConsentPurpose, member_ids: Iterable[int], on: date | None = None
) -> set[int]:
    """Ids among ``member_ids`` whose consent for ``purpose`` is in force on ``on``."""
    ids = set(member_ids)
    if not ids:
        return set()
    on = on or datetime.now(PARIS).date()
    query = (
        sa.select(Consent.member_id)
        .join(Member, Member.id == Consent.member_id)
        .where(
            Consent.purpose == purpose,
            Consent.member_id.in_(ids),
            Member.anonymised_at.is_(None),
            _in_force(on),
        )
    )
    return set(db.session.execute(query).scalars())


def last_consent_change(purpose: ConsentPurpose, on: date | None = None) -> datetime:
    """When the set of members consenting to ``purpose`` last changed: a row
    written, or a consent starting or ending on a day already reached."""
    on = on or datetime.now(PARIS).date()
    row = db.session.execute(
        sa.select(
            sa.func.max(Consent.updated_at),
            sa.func.max(sa.case((Consent.given_on <= on, Consent.given_on))),
            sa.func.max(sa.case((Consent.withdrawn_on <= on, Consent.withdrawn_on))),
        ).where(Consent.purpose == purpose)
    ).one()
    stamps = [datetime(1970, 1, 1, tzinfo=UTC)]
    if row[0] is not None:
        stamps.append(row[0] if row[0].tzinfo else row[0].replace(tzinfo=UTC))
    for day in row[1:]:
        if day is not None:
            # Midnight in Paris, the moment the consent starts or stops counting.
            stamps.append(datetime.combine(day, time(0), PARIS).astimezone(UTC))
    return max(stamps)

"""Bulk writes of imports write the history and search entries the session hooks would.

Each case makes the same change twice: once through the unit of work (the
hooks of ``app.history.recorder`` and ``app.search.indexer`` write the entries),
rolled back, then through ``app.exports.bulk``; the change-log rows and search
entries must be the same, field for field, but for ids and clocks.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.exports.bulk import (
    insert_records,
    prepare_insert,
    prepare_update,
    update_records,
)
from app.exports.import_kinds import get_kind
from app.exports.importing import run_import
from app.exports.readers import Table
from app.models import (
    Attendance,
    AttendanceStatus,
    ChangeLog,
    College,
    Indicator,
    Measurement,
    Meeting,
    Member,
    MemberRole,
    Organisation,
    Plan,
    PlanAction,
)
from app.models.search import SearchEntry
from app.search import parse, record_ids
from tests.test_transactions import sqlite_only

CLOCKS = ("created_at", "updated_at")


def _entries(db, model, record_id):
    """History and search entries of one record, without ids and clocks."""
    logs = []
    for e in db.session.execute(
        sa.select(ChangeLog)
        .where(ChangeLog.record_type == model.__tablename__)
        .where(ChangeLog.record_id == record_id)
        .order_by(ChangeLog.id)
    ).scalars():
        snap = {k: v for k, v in e.snapshot.items() if k not in (*CLOCKS, "id")}
        changes = {k: v for k, v in e.changes.items() if k not in CLOCKS}
        logs.append((e.kind, e.record_label, e.actor_label, changes, snap))
    search = db.session.execute(
        sa.select(SearchEntry.title, SearchEntry.body).where(
            SearchEntry.record_type == model.__tablename__,
            SearchEntry.record_id == record_id,
        )
    ).all()
    return logs, [tuple(r) for r in search]


def _created_both_ways(db, model, attrs):
    obj = model(**attrs)
    # Related records set as a form sets them: the label names them (an
    # import through the unit of work, setting only the ids, wrote "Membre").
    for rel in sa.inspect(model).relationships:
        if rel.direction.name == "MANYTOONE":
            column = next(iter(rel.local_columns))
            if attrs.get(column.key):
                target = db.session.get(rel.mapper.class_, attrs[column.key])
                setattr(obj, rel.key, target)
    db.session.add(obj)
    db.session.flush()
    by_orm = _entries(db, model, obj.id)
    db.session.rollback()
    (new_id,) = insert_records(db.session, model, [attrs])
    db.session.flush()
    by_bulk = _entries(db, model, new_id)
    db.session.commit()
    return by_orm, by_bulk, new_id


def _updated_both_ways(db, model, record_id, attrs):
    obj = db.session.get(model, record_id)
    for key, value in attrs.items():
        setattr(obj, key, value)
    db.session.flush()
    by_orm = _entries(db, model, record_id)
    db.session.rollback()
    db.session.expire_all()
    assert update_records(db.session, model, {record_id: attrs}) == 1
    db.session.flush()
    by_bulk = _entries(db, model, record_id)
    db.session.commit()
    return by_orm, by_bulk


@pytest.fixture
def refs(db):
    org = Organisation(name="Lorient Agglomération", town="Lorient")
    college = College(name="Usagers")
    meeting = Meeting(
        objective="Plénière", starts_at=datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    )
    plan = Plan(name="Plan climat", short_name="PCAET")
    indicator = Indicator(name="Émissions", unit="t")
    db.session.add_all([org, college, meeting, plan, indicator])
    db.session.commit()
    return org, college, meeting, plan, indicator


def test_member_creation_and_update_match_the_hooks(db, refs):
    org, college, *_ = refs
    attrs = {
        "first_name": "Élodie",
        "last_name": "Abgrall",
        "email": "elodie@example.org",
        "town": "Lorient",
        "organisation_id": org.id,
        "college_id": college.id,
        "role": MemberRole.titular
        if hasattr(MemberRole, "titular")
        else next(iter(MemberRole)),
        "joined_on": date(2020, 1, 15),
    }
    by_orm, by_bulk, member_id = _created_both_ways(db, Member, attrs)
    assert by_bulk == by_orm
    assert by_bulk[0][0][0].name == "create" and by_bulk[1]

    # An update of two columns, one searched (town) and one not (phone).
    by_orm, by_bulk = _updated_both_ways(
        db, Member, member_id, {"town": "Lanester", "phone": "+33297000001"}
    )
    assert by_bulk == by_orm
    assert by_bulk[0][-1][0].name == "update"
    assert by_bulk[1] == [("Élodie Abgrall", "elodie@example.org Lanester")]
    member = db.session.get(Member, member_id)
    assert member.version == 2 and member.town == "Lanester"

    # The same values again: nothing written, as the unit of work would not.
    before = db.session.execute(sa.select(sa.func.count(ChangeLog.id))).scalar()
    assert update_records(db.session, Member, {member_id: {"town": "Lanester"}}) == 0
    db.session.commit()
    after = db.session.execute(sa.select(sa.func.count(ChangeLog.id))).scalar()
    assert after == before and db.session.get(Member, member_id).version == 2


def test_labels_read_relations_like_the_hooks(db, refs, make_member):
    """Attendance, plan-action and measurement labels name their related record."""
    _, _, meeting, plan, indicator = refs
    member = make_member(first_name="Yann", last_name="Le Goff")
    db.session.commit()
    cases = [
        (
            Attendance,
            {
                "meeting_id": meeting.id,
                "member_id": member.id,
                "status": AttendanceStatus.present,
            },
            {"status": AttendanceStatus.excused},
        ),
        (
            PlanAction,
            {"plan_id": plan.id, "number": 12, "title": "Isoler les écoles"},
            {"title": "Isoler les écoles publiques", "budget": Decimal("1200.50")},
        ),
        (
            Measurement,
            {
                "indicator_id": indicator.id,
                "measured_on": date(2025, 12, 31),
                "value": Decimal("12.50"),
            },
            {"value": Decimal("13"), "comment": "Estimation"},
        ),
    ]
    for model, created, changed in cases:
        by_orm, by_bulk, record_id = _created_both_ways(db, model, created)
        assert by_bulk == by_orm, model
        label = by_bulk[0][0][1]
        assert any(name in label for name in ("Yann", "PCAET", "Émissions")), label
        by_orm, by_bulk = _updated_both_ways(db, model, record_id, changed)
        assert by_bulk == by_orm, model


def test_an_update_of_a_deleted_record_is_refused(db, make_member):
    member = make_member()
    db.session.commit()
    gone = member.id
    db.session.delete(member)
    db.session.commit()
    with pytest.raises(LookupError):
        update_records(db.session, Member, {gone: {"town": "Vannes"}})
    db.session.rollback()


def _found(db, words: str) -> set[int]:
    """Members the full-text index (FTS5 or tsvector) finds for ``words``."""
    stmt = record_ids(db.session, parse(words), "member")
    return set(db.session.execute(stmt).scalars())


def test_many_rows_keep_the_full_text_index_exact(db, refs):
    """Rows written many to a statement: every one reaches the full-text index
    (SQLite's triggers into FTS5, PostgreSQL's generated vector), old words go."""
    rows = [
        {"first_name": f"Prénom{i}", "last_name": "Kerbrat", "town": "Quimperlé"}
        for i in range(1203)  # more than two statements, the last one short
    ]
    ids = insert_records(db.session, Member, rows)
    db.session.commit()
    assert _found(db, "kerbrat quimperle") == set(ids)
    assert _found(db, "prénom1202") == {ids[-1]}
    changed = update_records(
        db.session, Member, {i: {"town": "Rosporden"} for i in ids[:700]}
    )
    db.session.commit()
    assert changed == 700
    assert _found(db, "rosporden") == set(ids[:700])
    assert _found(db, "quimperle") == set(ids[700:])
    if db.engine.dialect.name == "sqlite":
        # FTS5 compares its index with the content table, row for row.
        db.session.execute(
            sa.text("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")
        )


def test_a_record_changed_after_the_preparation_is_prepared_again(db, refs):
    """The write re-checks versions: a record saved meanwhile by someone else
    gets the import's values on top of theirs, and the history says so."""
    org, *_ = refs
    member = Member(first_name="Anne", last_name="Le Bihan", town="Lorient")
    db.session.add(member)
    db.session.commit()
    prepared = prepare_update(db.session, Member, {member.id: {"town": "Vannes"}})
    member.phone = "+33297000002"  # someone else's save, between the two steps
    member.organisation_id = org.id
    db.session.commit()
    saved = db.session.get(Member, member.id).version
    assert prepared.seen[member.id][1] < saved
    db.session.commit()
    assert prepared.write(db.session) == 1
    db.session.commit()
    member = db.session.get(Member, member.id)
    assert (member.town, member.phone) == ("Vannes", "+33297000002")
    assert member.version == saved + 1
    last = db.session.execute(
        sa.select(ChangeLog)
        .where(ChangeLog.record_type == "member", ChangeLog.record_id == member.id)
        .order_by(ChangeLog.id.desc())
        .limit(1)
    ).scalar_one()
    assert last.changes == {"town": ["Lorient", "Vannes"]}
    assert last.snapshot["phone"] == "+33297000002"
    assert last.snapshot["organisation_id"] == org.id
    assert last.snapshot["version"] == saved + 1


def test_a_record_deleted_after_the_preparation_refuses_the_write(db, make_member):
    keep, gone = make_member(), make_member()
    db.session.commit()
    prepared = prepare_update(
        db.session, Member, {keep.id: {"town": "Auray"}, gone.id: {"town": "Auray"}}
    )
    db.session.delete(gone)
    db.session.commit()
    with pytest.raises(LookupError):
        prepared.write(db.session)
    db.session.rollback()
    assert db.session.get(Member, keep.id).town != "Auray"


def test_an_update_whose_version_guard_fails_refuses_the_write(db, make_member):
    """A change landing after the version check (PostgreSQL does not lock the
    rows) fails the UPDATE's ``version =`` condition: nothing is overwritten."""
    member = make_member()
    db.session.commit()
    member_id = member.id
    prepared = prepare_update(db.session, Member, {member_id: {"town": "Auray"}})
    (keys, params), *_ = prepared.changed[member_id]
    params[-1] += 7  # the version the UPDATE expects is no longer the row's
    with pytest.raises(LookupError):
        prepared.write(db.session)
    db.session.rollback()
    assert db.session.get(Member, member_id).town != "Auray"


def _lock_is_free(db) -> bool:
    other = sqlite3.connect(db.engine.url.database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@sqlite_only
def test_the_preparation_of_the_writes_leaves_the_write_lock_free(db, refs):
    """Labels, previous values, changes and parameters are computed before the
    write transaction: another connection can write meanwhile."""
    org, *_ = refs
    member = Member(first_name="Loïc", last_name="Guillou", town="Lorient")
    db.session.add(member)
    db.session.commit()
    org_id, member_id = org.id, member.id
    db.session.commit()  # reading the ids (expired by the commit) began one
    probes = []
    rows = [{"first_name": "Gwen", "last_name": "Morvan", "organisation_id": org_id}]
    inserting = prepare_insert(
        db.session, Member, rows, lambda step: probes.append(_lock_is_free(db))
    )
    updating = prepare_update(
        db.session,
        Member,
        {member_id: {"town": "Hennebont"}},
        lambda step: probes.append(_lock_is_free(db)),
    )
    assert probes == [True, True]
    inserting.write(db.session)
    updating.write(db.session)
    assert not _lock_is_free(db)  # the writes hold it, until the commit
    db.session.commit()
    assert _lock_is_free(db)


@sqlite_only
def test_the_analysis_of_a_confirm_leaves_the_write_lock_free(db, make_member):
    """While ``run_import`` analyses the rows, another connection can write."""
    make_member(email="deja@example.org")
    db.session.commit()
    kind = get_kind("membres")
    table = Table(
        ["Nom", "Prénom", "Courriel"],
        [(line, [f"Nom{line}", "Jo", f"jo{line}@example.org"]) for line in (2, 3, 4)],
        "csv",
    )
    mapping = kind.auto_mapping(table.headers)
    probes: list[bool] = []

    def progress(step: int) -> None:
        # One step per analysed row, then one per prepared chunk.
        probes.append(_lock_is_free(db))

    analysis, counts = run_import(db.session, kind, table, mapping, {}, progress)
    assert counts == (3, 0), analysis.errors
    assert probes == [True, True, True, True]

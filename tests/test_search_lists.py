"""List searches answered from the index's keys (issue 18, speed of list searches).

The keys a search matches are read once and sent as one parameter
(``app.admin.search_keys.key_in``); an otherwise unfiltered search counts those
keys; a search with few matches reads its page in one query. Each shortcut
must give the same rows, in the same order, with the same count, as the
plain way (keys as subqueries, keys first then rows).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.admin import listing, search_keys
from app.admin import search as list_search
from app.admin.search_keys import key_in
from app.models import Meeting, Member, WorkingGroup
from app.models.meetings import MeetingKind
from app.models.search import SearchEntry
from app.search import entries_matching, parse
from tests.conftest import PG_URL

ROW = re.compile(r'name="rowid" class="action-checkbox" value="(\d+)"')
COUNT = re.compile(r"Liste \((\d+)\)")


def shown(client, url: str) -> tuple[int | None, list[int]]:
    """(the count in the list's tab, the ids of the rows shown, in order)."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = COUNT.search(html)
    return (int(found.group(1)) if found else None), [int(i) for i in ROW.findall(html)]


def every_page(client, url: str, pages: int = 6) -> tuple[int | None, list[int]]:
    count, rows = shown(client, url)
    for page in range(1, pages):
        rows += shown(client, f"{url}&page={page}")[1]
    return count, rows


@pytest.fixture
def meetings(db):
    """Nine meetings: five with "budget" in their objective, three of the
    "Budget participatif" group (one of those also says "budget"), and
    others; some also say "vélo"."""
    budget = WorkingGroup(name="Budget participatif")
    other = WorkingGroup(name="Mobilités")
    db.session.add_all([budget, other])
    db.session.flush()
    start = datetime(2024, 1, 1, 18, tzinfo=UTC)
    plans = [
        (other, "Arbitrages du budget vélo"),
        (other, "Budget annexe"),
        (None, "Préparation du budget"),
        (budget, "Lancement"),
        (budget, "Budget et vélo"),
        (budget, "Vote des projets vélo"),
        (other, "Pistes cyclables"),
        (None, "Bilan du BUDGET"),
        (None, "Accueil"),
    ]
    made = []
    for i, (group, objective) in enumerate(plans):
        meeting = Meeting(
            group=group,
            kind=MeetingKind.working_group if group else MeetingKind.plenary,
            starts_at=start + timedelta(days=7 * ((i * 5) % 9)),
            objective=objective,
        )
        db.session.add(meeting)
        made.append(meeting)
    db.session.commit()
    return made


def expected(meetings, test) -> list[int]:
    """Ids of the meetings meeting ``test``, in the list's order (newest first)."""
    chosen = [m for m in meetings if test(m)]
    return [m.id for m in sorted(chosen, key=lambda m: m.starts_at, reverse=True)]


def says(meeting, word: str) -> bool:
    text = f"{meeting.objective} {meeting.place or ''}"
    group = meeting.group.name if meeting.group else ""
    return word in text.lower() or word in group.lower()


MODES = {
    "keys read once": {},
    "keys as subqueries": {"SEARCH_PREFETCH_MAX": 1},
    "frequent words narrow the rarer's keys": {"SEARCH_PREFETCH_MAX": 4},
    "page keys first": {"FEW_ROWS": 0},
    "sort index walked": {"FEW_ROWS": 0, "WALK_FROM": 0},
}


def _mode(monkeypatch, mode: str) -> None:
    for name, value in MODES[mode].items():
        module = listing if name == "FEW_ROWS" else search_keys
        monkeypatch.setattr(module, name, value)


@pytest.mark.parametrize("mode", MODES)
def test_meeting_search_gives_the_same_pages_and_count_every_way(
    meetings, admin_client, monkeypatch, mode
):
    _mode(monkeypatch, mode)
    monkeypatch.setattr(
        next(
            v
            for v in admin_client.application.extensions["admin"][0]._views
            if v.endpoint == "meeting"
        ),
        "page_size",
        2,
    )
    # The meeting's own words or its group's name.
    want = expected(meetings, lambda m: says(m, "budget"))
    assert len(want) == 7
    count, rows = every_page(admin_client, "/admin/meeting/?search=BUDGET")
    assert (count, rows) == (7, want)
    # Two words: each one in the meeting or in its group.
    want = expected(meetings, lambda m: says(m, "budget") and says(m, "vélo"))
    assert len(want) == 3
    count, rows = every_page(admin_client, "/admin/meeting/?search=budget+v%C3%A9lo")
    assert (count, rows) == (3, want)
    # A phrase, and a word matching nothing.
    count, rows = every_page(
        admin_client, "/admin/meeting/?search=%22budget+v%C3%A9lo%22"
    )
    assert (count, rows) == (
        1,
        expected(meetings, lambda m: "budget vélo" in m.objective),
    )
    assert shown(admin_client, "/admin/meeting/?search=zzzz")[1] == []


def test_a_walked_search_reads_its_page_in_the_walk(
    meetings, admin_client, monkeypatch
):
    """Keys tested while the sort index is walked: the page's rows come from
    that one statement, not keys first then rows; with another order (no
    walk) and many rows, keys first again. Same rows either way (above)."""
    _mode(monkeypatch, "sort index walked")
    calls = []
    original = listing.FastListMixin._keys_first

    def spy(self, query):
        calls.append(self.endpoint)
        return original(self, query)

    monkeypatch.setattr(listing.FastListMixin, "_keys_first", spy)
    want = expected(meetings, lambda m: says(m, "budget"))
    assert shown(admin_client, "/admin/meeting/?search=budget") == (7, want)
    assert calls == []
    count, rows = shown(admin_client, "/admin/meeting/?search=budget&sort=1")
    assert count == 7 and sorted(rows) == sorted(want)
    assert calls == ["meeting"]


def test_a_frequent_word_only_narrows_what_the_rarer_found(
    meetings, admin_client, monkeypatch
):
    """ "budget" is in 6 index entries (5 meetings, 1 group), above the limit
    of 4: it is tested only on the entries of the 3 meetings "vélo" found,
    their own or their group's ("Vote des projets vélo" is in the "Budget
    participatif" group)."""
    monkeypatch.setattr(search_keys, "SEARCH_PREFETCH_MAX", 4)
    narrowed = []
    original = list_search.FastSearchMixin._narrow

    def spy(self, *args):
        keys = original(self, *args)
        narrowed.append(keys)
        return keys

    monkeypatch.setattr(list_search.FastSearchMixin, "_narrow", spy)
    want = expected(meetings, lambda m: says(m, "budget") and says(m, "vélo"))
    count, rows = every_page(admin_client, "/admin/meeting/?search=budget+v%C3%A9lo")
    assert (count, rows) == (3, want)
    assert narrowed and all(keys == set(want) for keys in narrowed)
    # Nothing left once a frequent word misses every candidate.
    assert shown(admin_client, "/admin/meeting/?search=budget+accueil")[1] == []


def test_frequent_words_found_in_no_related_record_are_matched_together(
    meetings, admin_client, monkeypatch
):
    """Each word above the limit, none in a group's name: the meetings' own
    entries matching both words at once ("du" and "vélo" are each in three
    meetings, together in one)."""
    monkeypatch.setattr(search_keys, "SEARCH_PREFETCH_MAX", 1)
    together = []
    original = list_search.FastSearchMixin._own_only

    def spy(self, *args):
        select = original(self, *args)
        together.append(select is not None)
        return select

    monkeypatch.setattr(list_search.FastSearchMixin, "_own_only", spy)
    want = expected(meetings, lambda m: says(m, "du ") and says(m, "vélo"))
    assert len(want) == 1
    assert shown(admin_client, "/admin/meeting/?search=du+v%C3%A9lo") == (1, want)
    assert together == [True]
    # More own keys than are read ahead: the same, as a subquery.
    monkeypatch.setattr(search_keys, "OWN_WORDS_PREFETCH_MAX", 0)
    assert shown(admin_client, "/admin/meeting/?search=du+v%C3%A9lo") == (1, want)
    # "budget" is also a group's name: each word through every record.
    together.clear()
    want = expected(meetings, lambda m: says(m, "budget") and says(m, "vélo"))
    count, rows = every_page(admin_client, "/admin/meeting/?search=budget+v%C3%A9lo")
    assert (count, rows) == (3, want)
    assert together and not any(together)


@pytest.mark.skipif(bool(PG_URL), reason="reads SQLite's query plan")
def test_a_frequent_word_is_matched_once_not_once_per_entry(db, make_member):
    """FTS5 given the entries' ids as a rowid constraint runs the match once
    per id (0.3 ms each for a prefix: 2.3 s for 8,000 entries at 100×): the
    match must be read once, its rows tested against the ids."""
    members = [make_member(last_name=f"Lambert{i}") for i in range(3)]
    entries = [
        e.id
        for e in db.session.execute(sa.select(SearchEntry)).scalars()
        if e.record_type == "member"
    ]
    seen = []

    def log(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", log)
    try:
        found = entries_matching(
            db.session, parse("lamb"), lambda c: key_in(db.session, c, entries[:2])
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", log)
    assert len(found) == 2 and len(members) == 3
    ((statement, parameters),) = seen
    raw = db.session.connection().connection.dbapi_connection
    plan = raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    fts = [row[-1] for row in plan if "search_fts" in row[-1]]
    assert fts and all(":=" not in step for step in fts), fts


@pytest.mark.parametrize("mode", MODES)
def test_a_filtered_search_counts_what_the_filter_keeps(
    meetings, admin_client, monkeypatch, mode
):
    """The keys' number is the count only when nothing else narrows the list."""
    _mode(monkeypatch, mode)
    want = expected(
        meetings, lambda m: says(m, "budget") and m.kind is MeetingKind.plenary
    )
    assert len(want) == 2
    url = "/admin/meeting/?search=budget&flt0_type_equals=plenary"
    assert shown(admin_client, url) == (2, want)


@pytest.mark.parametrize("mode", MODES)
def test_member_search_leaves_archived_members_out_of_rows_and_count(
    db, make_member, admin_client, monkeypatch, mode
):
    _mode(monkeypatch, mode)
    current = [make_member(last_name=f"Thomassin{i}", first_name="Anne") for i in "ab"]
    archived = make_member(
        last_name="Thomassin", first_name="Zoé", left_on=date(2020, 1, 1)
    )
    make_member(last_name="Martin", first_name="Thomas")  # a first name matches too
    count, rows = shown(admin_client, "/admin/member/?search=thomas")
    assert count == 3 and archived.id not in rows
    assert set(rows) >= {m.id for m in current}
    count, rows = shown(admin_client, "/admin/member/?search=thomas&archives=1")
    assert count == 4 and archived.id in rows


def test_attendance_search_through_the_member(demo, admin_client, monkeypatch):
    page = shown(admin_client, "/admin/attendance/?search=brehaut")
    monkeypatch.setattr(search_keys, "SEARCH_PREFETCH_MAX", 1)
    assert shown(admin_client, "/admin/attendance/?search=brehaut") == page
    assert page[0] == 1 and len(page[1]) == 1


@pytest.mark.parametrize("keys", [[], [1], [3, 1, 2], list(range(1, 3000))])
def test_key_in_is_an_in_list(db, make_member, keys):
    members = [make_member() for _ in range(4)]
    wanted = {m.id for m in members} & set(keys)
    condition = key_in(db.session, Member.id, keys)
    got = set(db.session.execute(sa.select(Member.id).where(condition)).scalars())
    assert got == wanted


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's indexes of each type (0024)")
def test_postgresql_reads_each_types_own_index_of_vectors(db):
    """A list search asks for the meetings and their groups: PostgreSQL must be
    able to read those types' own indexes of vectors (migration 0024), not the
    10,275 entries of every type matching "preparation" at 100× (5.1 → 2.7 ms).
    Only a query naming each type in clear lets the planner prove an index's
    ``WHERE record_type = …``."""
    from app.search.matching import _typed_record_ids

    stmt = _typed_record_ids(db.session, parse("budget"), ["meeting", "working_group"])
    # The types in clear in the statement itself, not bound parameters: a
    # prepared statement's generic plan could not use a partial index.
    plain = str(stmt.compile(dialect=db.engine.dialect))
    assert "record_type = 'meeting'" in plain, plain
    assert "record_type = 'working_group'" in plain, plain
    sql = stmt.compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    connection = db.session.connection()
    with connection.begin_nested() as nested:
        # The test's few entries would be read whole, or through the index of
        # (record_type, record_id) or of every entry's vector: those are set
        # aside inside a savepoint (PostgreSQL's DDL rolls back), leaving the
        # indexes of each type, which only a query naming its types can use.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        connection.exec_driver_sql(
            "ALTER TABLE search_entry "
            "DROP CONSTRAINT uq_search_entry_record_type_record_id"
        )
        connection.exec_driver_sql("DROP INDEX ix_search_entry_vector")
        rows = connection.exec_driver_sql(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in rows)
        nested.rollback()
    assert "ix_search_entry_vector_meeting" in plan, plan
    assert "ix_search_entry_vector_working_group" in plan, plan
    with pytest.raises(ValueError):
        _typed_record_ids(db.session, parse("budget"), ["meeting' OR '1"])

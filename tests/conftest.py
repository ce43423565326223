"""Shared fixtures: one migrated database per run, emptied after every test.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set
(``.ci/run`` does both).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db

PG_URL = os.environ.get("DATABASE_URL", "")

#: Fixtures kept in their own modules (the local SMTP server of the e-mail tests).
pytest_plugins = ["tests.mail_support"]


def database_uri(tmp_dir) -> str:
    """The URI tests use: DATABASE_URL when given (PostgreSQL), else a temp SQLite."""
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_dir}/test.sqlite3"


def base_config(tmp_dir, **extra) -> dict:
    config = {
        "TESTING": True,
        # Jobs run in their thread, and the request waits for it (app/jobs/).
        "JOBS_RUN_INLINE": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_dir),
        "WTF_CSRF_ENABLED": False,
        "AUTO_MIGRATE": True,
        "SERVER_NAME": "localhost",
        "PREFERRED_URL_SCHEME": "http",
        "SETUP_TOKEN_PATH": f"{tmp_dir}/setup_token",
    }
    config.update(extra)
    return config


def reset_schema(uri: str) -> None:
    """Drop everything so the run starts from an empty database."""
    engine = sa.create_engine(uri.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def tmp_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cdpl")


@pytest.fixture(scope="session")
def app(tmp_dir):
    """The application, migrated to head once for the whole run."""
    if PG_URL:
        reset_schema(PG_URL)
    application = create_app(base_config(tmp_dir))
    yield application
    with application.app_context():
        _db.engine.dispose()


def truncate_all() -> None:
    """Empty every table, children first.

    DELETE rather than TRUNCATE on PostgreSQL: the tables are tiny and TRUNCATE
    of ~25 tables costs a fixed ~0.3 s per test. Ids are not reset; no test may
    rely on them.
    """
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def db(app) -> Iterator:
    """The database session inside an app context; every table is emptied after."""
    with app.app_context():
        yield _db
        _db.session.remove()
        truncate_all()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def demo(db):
    """The meeting of 16 April 2019 loaded through the demo command's loader."""
    from app.demo import load_demo

    load_demo()
    return db


@pytest.fixture
def make_member(db):
    """Factory for members with sensible defaults."""
    from app.models import Member

    counter = {"n": 0}

    def make(**values):
        counter["n"] += 1
        values.setdefault("first_name", f"Prénom{counter['n']}")
        values.setdefault("last_name", f"Nom{counter['n']}")
        member = Member(**values)
        db.session.add(member)
        db.session.commit()
        return member

    return make


@pytest.fixture
def full_data(demo):
    """Demo data plus one row of every record type the demo lacks."""
    from decimal import Decimal

    from app.documents.safety import Limits, check_upload
    from app.documents.storage import add_version
    from app.meetings.feeds import hash_token
    from app.models import (
        CalendarToken,
        Consent,
        ConsentPurpose,
        Document,
        Indicator,
        Invitation,
        Measurement,
        Meeting,
        Member,
        OutboxAttachment,
        OutboxMessage,
        PlanAction,
    )

    # The source only says indicators are to be defined: the demo holds none.
    indicator = Indicator(
        name="Indicateur de test",
        plan_action=_db.session.execute(sa.select(PlanAction)).scalars().first(),
        unit="%",
    )
    _db.session.add(
        Measurement(
            indicator=indicator, measured_on=date(2020, 1, 1), value=Decimal("12.5")
        )
    )
    _db.session.add(CalendarToken(label="Agenda de test", token_hash=hash_token("t")))
    meeting = _db.session.execute(sa.select(Meeting)).scalars().first()
    member = _db.session.execute(sa.select(Member)).scalars().first()
    _db.session.add(Invitation(meeting=meeting, member=member, token_hash="0" * 64))
    _db.session.add(
        Consent(member=member, purpose=ConsentPurpose.phone, given_on=date(2019, 4, 1))
    )
    message = OutboxMessage(
        to_address="membre@example.org", subject="Convocation", body="Bonjour"
    )
    message.attachments.append(
        OutboxAttachment(
            filename="invitation.ics", content_type="text/calendar", content=b"\x00ics"
        )
    )
    _db.session.add(message)
    document = _db.session.execute(sa.select(Document).order_by(Document.id)).scalar()
    upload = check_upload("note.txt", "Première version du texte.\n".encode(), Limits())
    add_version(document.id, upload, "Version de test")
    _db.session.commit()
    return demo


#: Password of every account made by ``make_user`` unless told otherwise.
TEST_PASSWORD = "une phrase de passe assez longue 2026"


@pytest.fixture
def plan(db):
    """An empty plan, the STN of the source minutes (no actions yet)."""
    from app.models import Plan

    plan = Plan(name="Schéma Territorial du Numérique", short_name="STN")
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def make_user(db):
    """Factory for staff accounts: ``make_user(role=Role.editor, email=...)``."""
    from app.auth.passwords import hash_password
    from app.models.accounts import Role, User

    counter = {"n": 0}

    def make(role=Role.admin, password: str = TEST_PASSWORD, **values):
        counter["n"] += 1
        values.setdefault("email", f"{role.name}{counter['n']}@example.org")
        values.setdefault("active", True)
        user = User(role=role, password_hash=hash_password(password), **values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def login(client, email: str, password: str = TEST_PASSWORD, **kwargs):
    """Log ``client`` in through the real login form; return the response."""
    return client.post(
        "/connexion", data={"email": email, "password": password}, **kwargs
    )


def _logged_in(app, make_user, role):
    client = app.test_client()
    user = make_user(role=role)
    response = login(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    client.user = user
    return client


@pytest.fixture
def admin_client(app, db, make_user):
    """A client logged in (real login form, server session) as an administrator."""
    from app.models.accounts import Role

    return _logged_in(app, make_user, Role.admin)


@pytest.fixture
def editor_client(app, db, make_user):
    """A client logged in as an éditeur."""
    from app.models.accounts import Role

    return _logged_in(app, make_user, Role.editor)


@pytest.fixture
def reader_client(app, db, make_user):
    """A client logged in as a lecteur."""
    from app.models.accounts import Role

    return _logged_in(app, make_user, Role.reader)


@pytest.fixture
def town_editable(app):
    """The member list with its "Commune" column editable inline (no screen
    enables inline editing yet; the endpoint and its checks exist for all)."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "member")
    view.column_editable_list = ["town"]
    view._refresh_cache()
    yield view
    view.column_editable_list = None
    view._refresh_cache()

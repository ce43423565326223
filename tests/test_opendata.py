"""Open data (issue 20): what is public is chosen, the pages and the package
show it and nothing else, no personal data anywhere, validated package."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from app.models import (
    Attendance,
    AttendanceStatus,
    Document,
    DocumentKind,
    Meeting,
)
from app.models.plans import Amendment, Indicator, Plan, PlanAction
from app.models.rgpd import Consent, ConsentPurpose

#: Distinctive personal data that must never reach a public byte.
SECRET_PEOPLE = [
    {
        "first_name": "Zéphyrine",
        "last_name": "Quillebeuf-Tartempion",
        "email": "zephyrine.quillebeuf@secret-exemple.fr",
        "phone": "06 98 76 54 32",
    },
    {
        "first_name": "Anatole",
        "last_name": "Brizoulard",
        "email": "a.brizoulard@cachette.example",
        "phone": "+33 2 97 11 22 33",
    },
]


#: Consents to appear by name in published minutes: only the name may show.
CONSENTING_PERSON = {
    "first_name": "Maëlwenn",
    "last_name": "Kerjosselin-Trébédan",
    "email": "maelwenn.kerjosselin@consent-exemple.fr",
    "phone": "07 12 34 56 78",
}
#: Consented, then withdrew: named nowhere.
WITHDRAWN_PERSON = {
    "first_name": "Goulven",
    "last_name": "Pétronillec",
    "email": "goulven.petronillec@retire.example",
    "phone": "06 55 44 33 22",
}


def publish_demo(session) -> dict:
    """Mark public what the issue names: the STN plan, actions 7/12/13/14,
    the three amendments, the indicators, the avis and the 16 April meeting."""
    plan = session.execute(sa.select(Plan).where(Plan.short_name == "STN")).scalar_one()
    plan.public = True
    actions = (
        session.execute(
            sa.select(PlanAction).where(
                PlanAction.plan_id == plan.id,
                PlanAction.number.in_([7, 12, 13, 14]),
            )
        )
        .scalars()
        .all()
    )
    for action in actions:
        action.public = True
    for amendment in session.execute(sa.select(Amendment)).scalars():
        amendment.public = True
    # The minutes only ask for indicators to be defined: the demo has none.
    session.add(
        Indicator(
            plan_action=next(a for a in actions if a.number == 12),
            name="Part du budget du STN consacrée à l'accompagnement social",
            unit="%",
            target=25,
        )
    )
    session.flush()
    for indicator in session.execute(sa.select(Indicator)).scalars():
        indicator.public = True
    avis = session.execute(
        sa.select(Document).where(Document.kind == DocumentKind.opinion)
    ).scalar_one()
    avis.public = True
    meeting = session.execute(sa.select(Meeting).order_by(Meeting.starts_at)).scalar()
    meeting.public = True
    session.commit()
    return {"plan": plan, "actions": actions, "avis": avis, "meeting": meeting}


@pytest.fixture
def published(demo, make_member):
    """The demo published, plus members with distinctive personal data tied to
    every public record that can point to a person."""
    published = publish_demo(demo.session)
    people = [make_member(**person) for person in SECRET_PEOPLE]
    meeting = published["meeting"]
    meeting.author = people[0]
    demo.session.add(
        Attendance(meeting=meeting, member=people[0], status=AttendanceStatus.present)
    )
    demo.session.add(
        Attendance(meeting=meeting, member=people[1], status=AttendanceStatus.excused)
    )
    for amendment in demo.session.execute(sa.select(Amendment)).scalars():
        amendment.proposed_by = people[1]
    published["avis"].author = people[0]
    consenting = make_member(**CONSENTING_PERSON)
    withdrawn = make_member(**WITHDRAWN_PERSON)
    today = date.today()
    demo.session.add_all(
        [
            Attendance(meeting=meeting, member=consenting),
            Attendance(meeting=meeting, member=withdrawn),
            Consent(
                member=consenting,
                purpose=ConsentPurpose.named_in_minutes,
                given_on=today - timedelta(days=30),
            ),
            # Consent to another purpose does not name anybody.
            Consent(
                member=people[0],
                purpose=ConsentPurpose.phone,
                given_on=today - timedelta(days=30),
            ),
            Consent(
                member=withdrawn,
                purpose=ConsentPurpose.named_in_minutes,
                given_on=today - timedelta(days=30),
                withdrawn_on=today - timedelta(days=1),
            ),
        ]
    )
    demo.session.commit()
    published["people"] = people
    published["consenting"] = consenting
    return published


def get_ok(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def crawl(client) -> dict[str, bytes]:
    """Every public page and file, the ZIP unpacked: url -> bytes."""
    seen: dict[str, bytes] = {}
    pages = [
        "/public/",
        "/public/reunions/",
        "/public/reunions.ics",
        "/public/donnees/",
    ]
    for plan in client.application.extensions["sqlalchemy"].session.execute(
        sa.select(Plan.id)
    ):
        response = client.get(f"/public/plans/{plan.id}")
        if response.status_code == 200:
            seen[f"/public/plans/{plan.id}"] = response.data
    for doc in client.application.extensions["sqlalchemy"].session.execute(
        sa.select(Document.id)
    ):
        for url in (
            f"/public/documents/{doc.id}",
            f"/public/documents/{doc.id}/fichier",
        ):
            response = client.get(url)
            if response.status_code == 200:
                seen[url] = response.data
    for url in pages:
        seen[url] = get_ok(client, url).data
    package = json.loads(get_ok(client, "/public/donnees/datapackage.json").data)
    names = ["datapackage.json", "README.md", "catalogue.csv"]
    for resource in package["resources"]:
        names += [f"{resource['name']}.csv", f"{resource['name']}.json"]
    for name in names:
        seen[f"/public/donnees/{name}"] = get_ok(client, f"/public/donnees/{name}").data
    archive = get_ok(client, "/public/donnees/donnees-publiques.zip").data
    seen["zip"] = archive
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in zipped.namelist():
            seen[f"zip:{name}"] = zipped.read(name)
    return seen


def personal_markers(session, named_ok: tuple[int, ...] = ()) -> list[str]:
    """Names, e-mails and phones of every member in the database (only the
    e-mail and phone of the members in ``named_ok``)."""
    from app.models import Member

    markers = []
    for member in session.execute(sa.select(Member)).scalars():
        if member.id not in named_ok:
            markers.append(f"{member.first_name} {member.last_name}")
            markers.append(member.last_name)
        if member.email:
            markers.append(member.email)
        if member.phone:
            markers.append(member.phone)
            markers.append(member.phone.replace(" ", ""))
    # Very short surnames would match ordinary words.
    return [m for m in markers if len(m) >= 5]


def test_nothing_is_public_by_default(client, demo):
    csv = get_ok(client, "/public/donnees/actions.csv").data.decode()
    assert csv.strip().count("\n") == 0  # header only
    assert b"STN" not in get_ok(client, "/public/").data


def test_published_demo_is_on_the_pages_and_in_the_package(client, published):
    plan = published["plan"]
    page = get_ok(client, f"/public/plans/{plan.id}").data.decode()
    for number in (7, 12, 13, 14):
        assert f'id="action-{number}"' in page
    assert page.count("public-amendment") == 3
    assert "<svg" in page
    actions = get_ok(client, "/public/donnees/actions.csv").data.decode()
    assert actions.startswith("id,plan_id,numero,intitule")
    numbers = sorted(int(line.split(",")[2]) for line in actions.splitlines()[1:])
    assert numbers == [7, 12, 13, 14]
    amendments = json.loads(get_ok(client, "/public/donnees/amendements.json").data)
    assert len(amendments) == 3
    assert {a["statut"] for a in amendments} == {"Retenu par le groupe"}
    package = json.loads(get_ok(client, "/public/donnees/datapackage.json").data)
    counts = {r["name"]: r["count"] for r in package["resources"]}
    assert counts["actions"] == 4 and counts["amendements"] == 3
    assert counts["reunions"] == 1 and counts["documents"] == 1
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert package["created"].endswith("Z")
    meetings = json.loads(get_ok(client, "/public/donnees/reunions.json").data)
    assert meetings[0]["nombre_presents"] >= 1
    assert meetings[0]["nombre_excuses"] >= 1
    avis = published["avis"]
    assert avis.title.encode() in get_ok(client, f"/public/documents/{avis.id}").data
    assert b"BEGIN:VEVENT" in get_ok(client, "/public/reunions.ics").data
    readme = get_ok(client, "/public/donnees/README.md").data.decode()
    for resource in package["resources"]:
        for column in resource["schema"]["fields"]:
            assert f"`{column['name']}`" in readme
    catalogue = get_ok(client, "/public/donnees/catalogue.csv").data.decode()
    assert catalogue.startswith("COLL_NOM,COLL_SIRET,ID,TITRE,DESCRIPTION")


def test_no_personal_data_in_any_public_byte(client, published, demo):
    consenting = published["consenting"]
    markers = personal_markers(demo.session, named_ok=(consenting.id,))
    for person in [*SECRET_PEOPLE, WITHDRAWN_PERSON]:
        assert person["email"] in markers
        assert f"{person['first_name']} {person['last_name']}" in markers
    assert CONSENTING_PERSON["email"] in markers
    assert consenting.full_name not in markers
    files = crawl(client)
    assert len(files) > 20
    for url, body in files.items():
        text = body.decode("utf-8", "replace").casefold()
        for marker in markers:
            assert marker.casefold() not in text, (url, marker)
    # The consenting member is named on the public meeting page only: the
    # open-data files, reused under an open licence, never name anybody.
    named_in = sorted(
        url
        for url, body in files.items()
        if consenting.last_name.casefold() in body.decode("utf-8", "replace").casefold()
    )
    assert named_in == ["/public/reunions/"]


def test_named_with_consent_until_withdrawn(client, published, demo):
    consenting = published["consenting"]
    first = get_ok(client, "/public/reunions/")
    page = first.data.decode()
    assert f"nommé·es avec leur accord : {consenting.full_name} ;" in page
    # The other présents are counted, not named.
    assert "autre(s) présent·e(s)" in page
    assert "Excusé·es nommé·es" not in page
    assert first.headers["Cache-Control"] == "public, no-cache"
    consent = demo.session.execute(
        sa.select(Consent).where(Consent.member_id == consenting.id)
    ).scalar_one()
    # Withdrawn tomorrow: the page (and its Last-Modified) follows the
    # consent, not the meetings, which did not change.
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with freeze_time(tomorrow):
        consent.withdrawn_on = tomorrow.date()
        demo.session.commit()
        again = client.get(
            "/public/reunions/",
            headers={
                "If-None-Match": first.headers["ETag"],
                "If-Modified-Since": first.headers["Last-Modified"],
            },
        )
    assert again.status_code == 200
    assert consenting.last_name not in again.data.decode()
    assert "nommé·es" not in again.data.decode()
    modified = datetime.strptime(
        again.headers["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT"
    ).replace(tzinfo=UTC)
    assert modified > tomorrow - timedelta(hours=12)


def test_private_again_or_deleted_is_gone_at_next_generation(client, published, demo):
    action = next(a for a in published["actions"] if a.number == 13)
    assert b",13," in get_ok(client, "/public/donnees/actions.csv").data
    action.public = False
    demo.session.commit()
    assert b",13," not in get_ok(client, "/public/donnees/actions.csv").data
    page = get_ok(client, f"/public/plans/{published['plan'].id}").data
    assert b'id="action-13"' not in page
    # An amendment of a now private action goes with it.
    amendments = json.loads(get_ok(client, "/public/donnees/amendements.json").data)
    assert all(a["action_id"] != action.id for a in amendments)
    # A deleted amendment is gone too.
    amendment = (
        demo.session.execute(
            sa.select(Amendment).where(Amendment.plan_action_id != action.id)
        )
        .scalars()
        .first()
    )
    before = len(amendments)
    demo.session.delete(amendment)
    demo.session.commit()
    after = json.loads(get_ok(client, "/public/donnees/amendements.json").data)
    assert len(after) == before - 1
    # A private meeting leaves the calendar and its feed.
    meeting = published["meeting"]
    meeting.public = False
    demo.session.commit()
    assert b"BEGIN:VEVENT" not in get_ok(client, "/public/reunions.ics").data
    assert json.loads(get_ok(client, "/public/donnees/reunions.json").data) == []
    assert json.loads(get_ok(client, "/public/donnees/decisions.json").data) == []


def test_private_and_unknown_ids_get_the_same_404(client, published, demo):
    private_plan = Plan(name="Plan confidentiel de test")
    private_doc = Document(title="Note interne", kind=DocumentKind.other)
    demo.session.add_all([private_plan, private_doc])
    demo.session.commit()
    pairs = [
        (f"/public/plans/{private_plan.id}", "/public/plans/987654"),
        (f"/public/documents/{private_doc.id}", "/public/documents/987654"),
        (
            f"/public/documents/{private_doc.id}/fichier",
            "/public/documents/987654/fichier",
        ),
    ]
    for private, unknown in pairs:
        one, two = client.get(private), client.get(unknown)
        assert one.status_code == two.status_code == 404
        assert one.data == two.data
    assert b"confidentiel" not in get_ok(client, "/public/donnees/plans.csv").data
    assert client.get("/public/donnees/secret.csv").status_code == 404
    assert client.get("/public/donnees/..%2Fconfig.py").status_code == 404


def test_public_answers_are_cacheable(client, published):
    for url in ("/public/", "/public/donnees/actions.csv", "/public/reunions.ics"):
        first = get_ok(client, url)
        etag = first.headers["ETag"]
        assert first.headers["Last-Modified"]
        assert "public" in first.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert get_ok(client, url).headers["ETag"] == etag


def test_admin_pages_keep_no_store(admin_client):
    response = admin_client.get("/admin/plan/")
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_can_be_switched_off(app, client, published):
    app.config["PUBLIC_PAGES_ENABLED"] = False
    try:
        for url in ("/public/", "/public/donnees/actions.csv", "/public/reunions.ics"):
            assert client.get(url).status_code == 404
    finally:
        app.config["PUBLIC_PAGES_ENABLED"] = True


def test_package_validates_with_frictionless(client, published, tmp_path):
    from frictionless import validate

    archive = get_ok(client, "/public/donnees/donnees-publiques.zip").data
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        zipped.extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((tmp_path / "datapackage.json").read_text())
    for resource in package["resources"]:
        lines = (tmp_path / resource["path"]).read_text().splitlines()
        assert len(lines) - 1 == resource["count"]


def test_broken_foreign_key_fails_validation(client, published, tmp_path):
    """The validation really checks the foreign keys (guards the test above)."""
    from frictionless import validate

    archive = get_ok(client, "/public/donnees/donnees-publiques.zip").data
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        zipped.extractall(tmp_path)
    plans = (tmp_path / "plans.csv").read_text().splitlines()
    (tmp_path / "plans.csv").write_text(plans[0] + "\r\n")
    report = validate(str(tmp_path / "datapackage.json"))
    assert not report.valid


def test_package_date_is_the_last_change(client, published, demo):
    package = json.loads(get_ok(client, "/public/donnees/datapackage.json").data)
    created = datetime.strptime(package["created"], "%Y-%m-%dT%H:%M:%SZ")
    assert created.replace(tzinfo=UTC) <= datetime.now(UTC)
    again = json.loads(get_ok(client, "/public/donnees/datapackage.json").data)
    assert again["created"] == package["created"]


def test_export_command_writes_the_package(app, published, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["export-opendata", str(tmp_path / "od")]
    )
    assert result.exit_code == 0, result.output
    assert "fichier(s) écrit(s)" in result.output
    written = sorted(p.name for p in (tmp_path / "od").iterdir())
    assert "datapackage.json" in written and "donnees-publiques.zip" in written
    assert "amendements.csv" in written and "catalogue.csv" in written
    text = (tmp_path / "od" / "actions.csv").read_text()
    assert len(text.splitlines()) == 5


def test_a_request_with_cookies_is_never_cached_publicly(client, published):
    client.set_cookie("session", "quelque-chose")
    response = get_ok(client, "/public/donnees/actions.csv")
    assert response.headers["Cache-Control"].startswith("private")
    assert "Cookie" in response.headers["Vary"]


def test_switch_and_licence_come_from_the_environment(monkeypatch):
    from app.config import Defaults, apply_environment

    monkeypatch.setenv("CDPL_PUBLIC_PAGES_ENABLED", "false")
    monkeypatch.setenv("CDPL_OPENDATA_LICENCE_NAME", "ODbL-1.0")
    config = {k: getattr(Defaults, k) for k in dir(Defaults) if k.isupper()}
    apply_environment(config)
    assert config["PUBLIC_PAGES_ENABLED"] is False
    assert config["OPENDATA_LICENCE_NAME"] == "ODbL-1.0"


def test_no_admin_endpoint_is_linked_from_the_public_pages(client, published):
    import re

    checked = 0
    for url, body in crawl(client).items():
        if url.startswith("zip") or not body.lstrip().startswith(b"<!DOCTYPE"):
            continue
        links = re.findall(rb'(?:href|src|action)="([^"]*)"', body)
        checked += len(links)
        for link in links:
            assert not link.startswith(b"/admin") or link.startswith(
                b"/admin/static/"
            ), (url, link)
            assert not link.startswith((b"/auth", b"/login", b"/compte")), (url, link)
    assert checked > 30

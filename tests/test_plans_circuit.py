"""The amendment's page: read against the text, its budget, its circuit (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.models import Amendment, AmendmentStatus, AmendmentStep
from app.plans.circuit import CircuitError, move
from tests.plans_support import amendment_of, stn


def test_reading_page_highlights_the_completion(admin_client, demo):
    _, actions = stn(demo)
    actions[7].title = "Définir une stratégie de diffusion des données publiques"
    demo.session.commit()
    amendment = amendment_of(demo, actions[7])
    html = admin_client.get(f"/admin/amendment/reading/?id={amendment.id}").get_data(
        as_text=True
    )
    assert 'id="reading-inline"' in html
    assert '<ins class="cdpl-ins"><span class="sr-only">[ajout : </span>, ' in html
    assert "particulièrement celles contribuant" in html


def test_reading_page_shows_a_replacement_side_by_side_with_its_share(
    admin_client, demo
):
    _, actions = stn(demo)
    amendment = amendment_of(demo, actions[12])
    amendment.proposed_share = Decimal(25)
    demo.session.commit()
    html = admin_client.get(f"/admin/amendment/reading/?id={amendment.id}").get_data(
        as_text=True
    )
    assert 'id="reading-before"' in html and 'id="reading-after"' in html
    assert "<del" in html and "<ins" in html
    budget = html[html.index('id="amendment-budget"') :]
    assert "150\u202f000\u202f€ → <strong>45\u202f000\u202f€</strong>" in budget
    assert "−105\u202f000\u202f€" in budget
    assert "25\u202f% du budget total du plan (180\u202f000\u202f€)" in budget


def test_the_circuit_records_who_and_when(admin_client, demo):
    _, actions = stn(demo)
    amendment = amendment_of(demo, actions[13])
    url = f"/admin/amendment/reading/?id={amendment.id}"
    assert amendment.status == AmendmentStatus.adopted_by_group
    response = admin_client.post(
        f"/admin/amendment/reading/move/?id={amendment.id}",
        data={"to": "sent", "note": "Envoyé à Solenn", "version": amendment.version},
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert amendment.status == AmendmentStatus.sent
    step = amendment.steps[-1]
    assert (step.from_status, step.to_status) == (
        AmendmentStatus.adopted_by_group,
        AmendmentStatus.sent,
    )
    assert step.actor_label == admin_client.user.email
    assert step.actor_id == admin_client.user.id
    html = admin_client.get(url).get_data(as_text=True)
    assert "Retenu par le groupe → Transmis" in html and "Envoyé à Solenn" in html
    assert admin_client.user.email in html
    assert "Marquer comme accepté" in html


def test_a_move_off_the_circuit_or_on_a_stale_page_is_refused(admin_client, demo):
    _, actions = stn(demo)
    amendment = amendment_of(demo, actions[13])
    url = f"/admin/amendment/reading/move/?id={amendment.id}"
    version = amendment.version
    html = admin_client.post(
        url, data={"to": "accepted", "note": "trop tôt", "version": version}
    ).get_data(as_text=True)
    assert "ne peut pas passer à « Accepté »" in html
    assert 'value="trop tôt"' in html
    html = admin_client.post(
        url, data={"to": "sent", "note": "vieux", "version": version - 1}
    ).get_data(as_text=True)
    assert "modifié par quelqu&#39;un d&#39;autre" in html
    html = admin_client.post(
        url, data={"to": "sent", "note": "x" * 301, "version": version}
    ).get_data(as_text=True)
    assert "300 caractères" in html
    demo.session.expire_all()
    assert amendment.status == AmendmentStatus.adopted_by_group
    try:
        move(amendment, AmendmentStatus.accepted)
    except CircuitError as exc:
        assert "Retenu par le groupe" in str(exc)
    else:
        raise AssertionError("the circuit let an amendment skip « transmis »")


def test_a_reader_sees_the_circuit_but_cannot_move_it(reader_client, demo):
    _, actions = stn(demo)
    amendment = amendment_of(demo, actions[13])
    url = f"/admin/amendment/reading/?id={amendment.id}"
    html = reader_client.get(url).get_data(as_text=True)
    assert "Circuit" in html and 'id="circuit-form"' not in html
    response = reader_client.post(
        f"/admin/amendment/reading/move/?id={amendment.id}",
        data={"to": "sent", "version": amendment.version},
    )
    assert response.status_code == 403
    count = demo.session.scalar(sa.select(sa.func.count()).select_from(AmendmentStep))
    demo.session.expire_all()
    assert amendment.status == AmendmentStatus.adopted_by_group
    assert count == demo.session.scalar(
        sa.select(sa.func.count()).select_from(AmendmentStep)
    )


def test_creating_an_amendment_records_its_first_step(admin_client, demo):
    _, actions = stn(demo)
    response = admin_client.post(
        "/admin/amendment/new/",
        data={
            "plan_action": str(actions[14].id),
            "kind": "replace",
            "text": "Médiation numérique et accompagnement transverse",
            "proposed_budget": "60 k€",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    created = (
        demo.session.execute(
            sa.select(AmendmentStep)
            .join(AmendmentStep.amendment)
            .where(Amendment.plan_action_id == actions[14].id)
        )
        .scalars()
        .all()
    )
    assert [s.to_status for s in created] == [AmendmentStatus.proposed]
    assert created[-1].amendment.proposed_budget == Decimal(60000)

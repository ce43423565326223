"""Status workflow of documents, their circuit (transmissions), the status timeline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.documents import workflow
from app.extensions import db as _db
from app.models import Document, DocumentStatus, Transmission, TransmissionMeans
from tests.documents_support import make_document

S = DocumentStatus
ALLOWED = {
    (S.draft, S.review),
    (S.review, S.approved),
    (S.approved, S.sent),
    (S.sent, S.published),
    (S.review, S.draft),
    (S.approved, S.review),
}


@pytest.mark.parametrize("old", list(S))
@pytest.mark.parametrize("new", list(S))
def test_only_the_steps_of_the_workflow_are_allowed(old, new):
    error = workflow.transition_error(old, new)
    if old == new or (old, new) in ALLOWED:
        assert error is None
    else:
        assert error is not None and f"« {old.label} » à « {new.label} »" in error


def _form(document: Document, **changes) -> dict:
    data = {
        "title": document.title,
        "kind": document.kind.name,
        "status": document.status.name,
        "body": document.body or "",
        "seen_version": str(document.version),
    }
    data.update(changes)
    return data


def _edit(client, document, **changes):
    return client.post(
        f"/admin/document/edit/?id={document.id}", data=_form(document, **changes)
    )


def _status(document_id: int) -> DocumentStatus:
    _db.session.expire_all()
    status = _db.session.get(Document, document_id).status
    _db.session.rollback()
    return status


def test_a_forbidden_jump_is_refused_next_to_the_status(editor_client):
    document = make_document(status=S.draft)
    response = _edit(editor_client, document, status="approved", title="Titre retapé")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ne passe pas de « Brouillon » à « Validé »" in html
    assert "« En relecture »" in html
    assert 'value="Titre retapé"' in html  # the rest of the form is kept
    assert _status(document.id) == S.draft
    assert _db.session.get(Document, document.id).title == "Avis sur le STN"


def test_the_steps_forward_and_back_are_saved(editor_client):
    document = make_document(status=S.draft)
    for target in ("review", "draft", "review", "approved", "review", "approved"):
        doc = _db.session.get(Document, document.id)
        response = _edit(editor_client, doc, status=target)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert _status(document.id) == S[target]


def test_marking_transmis_asks_for_the_first_transmission(editor_client, make_member):
    solenn = make_member(first_name="Solenn", last_name="Bréhaut")
    document = make_document(status=S.approved)
    refused = _edit(editor_client, document, status="sent")
    assert "indiquez d&#39;abord sa première transmission" in refused.get_data(
        as_text=True
    )
    assert _status(document.id) == S.approved

    doc = _db.session.get(Document, document.id)
    accepted = _edit(
        editor_client,
        doc,
        status="sent",
        **{
            "transmissions-0-member": str(solenn.id),
            "transmissions-0-sent_on": "2019-04-23",
            "transmissions-0-means": "email",
            "transmissions-0-note": "Intégration au document officiel",
        },
    )
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    assert _status(document.id) == S.sent
    (sent,) = _db.session.execute(sa.select(Transmission)).scalars()
    assert sent.recipient == "Solenn Bréhaut" and sent.means == TransmissionMeans.email


def test_a_transmission_without_recipient_is_refused(editor_client, admin_client):
    document = make_document(status=S.approved)
    response = _edit(
        editor_client,
        document,
        status="sent",
        title="Titre gardé",
        **{"transmissions-0-means": "letter", "transmissions-0-note": "Note gardée"},
    )
    html = response.get_data(as_text=True)
    assert "Indiquez un destinataire" in html
    assert "Note gardée" in html and 'value="Titre gardé"' in html
    assert _status(document.id) == S.approved
    assert not _db.session.execute(sa.select(Transmission)).first()

    # The same rule on the transmissions screen.
    screen = admin_client.post(
        "/admin/transmission/new/",
        data={"document": str(document.id), "means": "email", "note": "x"},
    )
    assert "Indiquez un destinataire" in screen.get_data(as_text=True)
    assert not _db.session.execute(sa.select(Transmission)).first()
    ok = admin_client.post(
        "/admin/transmission/new/",
        data={
            "document": str(document.id),
            "means": "other",
            "recipient_text": "presse",
        },
    )
    assert ok.status_code == 302
    assert _db.session.execute(sa.select(Transmission.recipient_text)).scalar() == (
        "presse"
    )


def test_the_database_refuses_a_transmission_without_recipient(db):
    document = make_document()
    _db.session.add(Transmission(document=document, recipient_text=""))
    with pytest.raises(sa.exc.IntegrityError):
        _db.session.commit()
    _db.session.rollback()


def test_bulk_action_moves_each_document_one_step(editor_client):
    draft = make_document(title="Brouillon", status=S.draft)
    review = make_document(title="Relu", status=S.review)
    waiting = make_document(title="Sans transmission", status=S.approved)
    sent = make_document(title="Parti", status=S.sent)
    _db.session.add(Transmission(document=sent, recipient_text="presse"))
    _db.session.commit()
    ids = [d.id for d in (draft, review, waiting, sent)]
    response = editor_client.post(
        "/admin/document/action/",
        data={"action": "step_forward", "rowid": [str(i) for i in ids]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "3 document(s) passé(s) à l&#39;étape suivante" in html
    assert "« Sans transmission » attend sa première transmission" in html
    assert [_status(i) for i in ids] == [S.review, S.approved, S.approved, S.published]


def test_reader_cannot_move_documents(reader_client):
    document = make_document(status=S.draft)
    response = reader_client.post(
        "/admin/document/action/",
        data={"action": "step_forward", "rowid": [str(document.id)]},
    )
    assert response.status_code == 403
    assert _status(document.id) == S.draft


def test_details_page_shows_text_circuit_and_status_timeline(editor_client):
    document = make_document(
        status=S.draft, body="**Avis** du groupe\n\n<script>alert(1)</script>"
    )
    for target in ("review", "approved"):
        _edit(editor_client, _db.session.get(Document, document.id), status=target)
    _db.session.add(
        Transmission(
            document_id=document.id,
            recipient_text="élus de Lorient Agglomération",
            means=TransmissionMeans.letter,
        )
    )
    _db.session.commit()
    html = editor_client.get(f"/admin/document/details/?id={document.id}").get_data(
        as_text=True
    )
    assert "<strong>Avis</strong> du groupe" in html
    assert "<script>alert(1)</script>" not in html
    assert "élus de Lorient Agglomération — date non renseignée, courrier" in html
    timeline = html.split('id="status-timeline"')[1]
    assert "<strong>Brouillon</strong>" in timeline
    assert "Brouillon → <strong>En relecture</strong>" in timeline
    assert "En relecture → <strong>Validé</strong>" in timeline
    assert editor_client.user.email in timeline

"""French for what Flask-Admin says: banners, interface words, messages naming the record.

Flask-Admin 2.2's French catalogue lacks some strings (a failed save showed "Failed
to create record."), translates others awkwardly ("Filtres réinitialisés" on a
button, "50 articles", "Editer"; the inline sub-forms' words are in
templates/admin/model/inline_list_base.html), and its confirmations never name the record
("L'objet a bien été créé."). The screens use the texts below instead.
"""

from __future__ import annotations

import re

from flask import g, session
from flask_admin import babel, expose

FRENCH_BANNERS = {
    "Failed to create record.": (
        "La fiche n'a pas été créée : corrigez les champs signalés ci-dessous "
        "(vos saisies sont conservées)."
    ),
    "Failed to save record.": (
        "Les modifications n'ont pas été enregistrées : corrigez les champs signalés "
        "ci-dessous (vos saisies sont conservées)."
    ),
    "Record does not exist.": "Cette fiche n'existe pas ou plus.",
    "Permission denied.": "Vous n'avez pas le droit de faire cette opération.",
}

#: Interface words of Flask-Admin's templates, in the words the staff use.
FRENCH_WORDS = {
    "Edit": "Modifier",
    "Edit Record": "Modifier la fiche",
    "Create": "Créer",
    "Create New Record": "Créer une fiche",
    "Save and Continue Editing": "Enregistrer et continuer la saisie",
    "Save and Add Another": "Enregistrer et en créer une autre",
    "Reset Filters": "Effacer les filtres",
    "Export": "Exporter",
    "items": "lignes par page",
}

_PAGE_SIZE = re.compile(r"^(\d+) items?$")

#: Flask-Admin's confirmations, replaced by a sentence that names the record.
_GENERIC_DONE = (
    "Record was successfully created.",
    "Record was successfully saved.",
    "Record was successfully deleted.",
)


def french_banner(message: str) -> str:
    """The French text of a flashed message (unchanged when already French)."""
    return FRENCH_BANNERS.get(str(message), message)


def french_gettext(string: str, **variables) -> str:
    """Flask-Admin's ``_gettext`` in templates, with the words above first."""
    if string in FRENCH_WORDS:
        text = FRENCH_WORDS[string]
        return text % variables if variables else text
    return babel.gettext(string, **variables)


def french_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Admin's ``_ngettext``; the page-size menu says "20 lignes par page"."""
    match = _PAGE_SIZE.match(singular)
    if match:
        return f"{match.group(1)} lignes par page"
    return babel.ngettext(singular, plural, num, **variables)


def _label(model_or_class) -> tuple[str, bool]:
    cls = model_or_class if isinstance(model_or_class, type) else type(model_or_class)
    label = getattr(cls, "__label__", cls.__name__)
    return label[:1].lower() + label[1:], getattr(cls, "__gender__", "m") == "f"


def record_phrase(model) -> str:
    """« Le membre « Solenn Bréhaut » », with the article of the record's type
    (``__gender__ = "f"`` on feminine models, elision before a vowel)."""
    return _phrase(type(model), str(model))


def _phrase(cls, name: str) -> str:
    label, feminine = _label(cls)
    if label[:1] in "aeiouyéèêàâîôû":
        article = "L'"
    else:
        article = "La " if feminine else "Le "
    return f"{article}{label} « {name} »"


def done_message(model, participle: str) -> str:
    """« La réunion « … » a été créée. » for participle "créé"."""
    return done_message_from(type(model), str(model), participle)


def deleted_many_message(cls, names: list[str]) -> str:
    """One sentence for a bulk deletion, naming the records."""
    if len(names) == 1:
        return done_message_from(cls, names[0], "supprimé")
    plural = getattr(cls, "__label_plural__", cls.__name__)
    _, feminine = _label(cls)
    ending = "es" if feminine else "s"
    listed = ", ".join(f"« {n} »" for n in names)
    return (
        f"{len(names)} {plural[:1].lower() + plural[1:]} supprimé{ending} : {listed}."
    )


def done_message_from(cls, name: str, participle: str) -> str:
    """Like ``done_message`` for a record known only by its name (already deleted)."""
    _, feminine = _label(cls)
    return f"{_phrase(cls, name)} a été {participle}{'e' if feminine else ''}."


def _named() -> list[str]:
    if "cdpl_named_messages" not in g:
        g.cdpl_named_messages = []
    return g.cdpl_named_messages


class FrenchMessagesMixin:
    """Interface words in French and success messages that name the record."""

    def render(self, template, **kwargs):
        # BaseView.render sets its own helpers, then applies _template_args last.
        self._template_args.update(_gettext=french_gettext, _ngettext=french_ngettext)
        return super().render(template, **kwargs)

    def after_model_change(self, form, model, is_created):
        super().after_model_change(form, model, is_created)
        _named().append(done_message(model, "créé" if is_created else "modifié"))

    def on_model_delete(self, model):
        super().on_model_delete(model)
        # Named now: once deleted and committed, the record can no longer be read.
        g.cdpl_deleting = done_message(model, "supprimé")

    def after_model_delete(self, model):
        super().after_model_delete(model)
        message = g.pop("cdpl_deleting", None)
        if message:
            _named().append(message)

    def _name_flashes(self) -> None:
        """Replace Flask-Admin's generic confirmation by the named one."""
        named = g.pop("cdpl_named_messages", None)
        flashes = session.get("_flashes")
        if not named or not flashes:
            return
        generic = set(_GENERIC_DONE) | {babel.gettext(s) for s in _GENERIC_DONE}
        for index, (category, message) in enumerate(flashes):
            if str(message) in generic and named:
                flashes[index] = (category, named.pop(0))
        session.modified = True

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        response = super().create_view()
        self._name_flashes()
        return response

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        response = super().edit_view()
        self._name_flashes()
        return response

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        response = super().delete_view()
        self._name_flashes()
        return response

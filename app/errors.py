"""French error pages (404, 403, 500...) instead of Werkzeug's English ones."""

from __future__ import annotations

from flask import Flask, make_response, render_template
from werkzeug.exceptions import HTTPException

#: Title and explanation shown for each status; others fall back to the generic one.
MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Requête invalide",
        "La demande n'a pas pu être comprise. Revenez à la page précédente et "
        "réessayez.",
    ),
    403: (
        "Accès refusé",
        "Votre compte ne permet pas d'ouvrir cette page. Demandez l'accès à un "
        "administrateur si vous en avez besoin.",
    ),
    404: (
        "Page introuvable",
        "Cette adresse ne correspond à aucune page. Elle a peut-être été "
        "supprimée, ou le lien est incomplet.",
    ),
    405: (
        "Action non permise",
        "Cette page ne peut pas être utilisée de cette façon.",
    ),
    413: (
        "Fichier trop volumineux",
        "Le fichier envoyé dépasse la taille autorisée.",
    ),
    500: (
        "Erreur interne",
        "Une erreur inattendue s'est produite ; elle a été consignée. Vos "
        "dernières saisies n'ont peut-être pas été enregistrées.",
    ),
}
GENERIC = ("Erreur", "La demande n'a pas pu aboutir.")


def register_error_pages(app: Flask) -> None:
    """Answer HTTP errors with a French page (routing redirects are not errors)."""
    app.register_error_handler(HTTPException, error_page)


def error_page(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    title, text = MESSAGES.get(error.code, GENERIC)
    response = make_response(
        render_template("errors/error.html", code=error.code, title=title, text=text),
        error.code,
    )
    # Keep headers such as Allow (405) or Retry-After that the exception carries.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response

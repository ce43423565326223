"""French for the few banners Flask-Admin flashes without a French translation.

Flask-Admin 2.2's French catalogue lacks these strings, so a failed save showed
"Failed to create record." above the French field messages.
"""

from __future__ import annotations

FRENCH_BANNERS = {
    "Failed to create record.": (
        "La fiche n'a pas été créée : corrigez les champs signalés ci-dessous "
        "(vos saisies sont conservées)."
    ),
    "Failed to save record.": (
        "Les modifications n'ont pas été enregistrées : corrigez les champs signalés "
        "ci-dessous (vos saisies sont conservées)."
    ),
}


def french_banner(message: str) -> str:
    """The French text of a flashed message (unchanged when already French)."""
    return FRENCH_BANNERS.get(str(message), message)

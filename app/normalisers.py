"""Field normalisers shared by forms and imports: e-mail addresses and phone numbers.

They sit below both layers (a screen's validator and an import's row check call the
same function), so they import nothing of the application.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalise_email(raw: str | None) -> str | None:
    """Validate an e-mail address; return it lower-cased, or raise ValueError (French)."""
    if raw is None or not raw.strip():
        return None
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            "Adresse électronique invalide (exemple : prenom.nom@exemple.fr)."
        ) from exc
    return result.normalized.lower()


def normalise_phone(raw: str | None, region: str = "FR") -> str | None:
    """Parse a phone number (French by default) and return it in E.164 form."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            "Numéro de téléphone invalide (exemple : 02 97 00 00 00)."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Numéro de téléphone invalide (exemple : 02 97 00 00 00).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """Show an E.164 number in national format for French numbers."""
    if not value:
        return ""
    if len(value) == 12 and value.startswith("+33") and value[3:].isdigit():
        # Fast path for the usual case (lists show 50 of them per page): the
        # national format of a French number is 0X XX XX XX XX.
        digits = "0" + value[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if number.country_code == 33:
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )

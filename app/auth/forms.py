"""Login, password-change and setup forms (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.auth.passwords import MIN_LENGTH

REQUIRED = "Ce champ est obligatoire."
TOO_LONG = "Saisie trop longue."
PASSWORD_HELP = (
    f"Au moins {MIN_LENGTH} caractères, tous caractères permis ; "
    "une phrase de passe est idéale."
)


class LoginForm(FlaskForm):
    email = StringField(
        "Courriel",
        validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)],
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired(REQUIRED), Length(max=1024, message=TOO_LONG)],
    )


def _new_password():
    return PasswordField(
        "Nouveau mot de passe",
        validators=[DataRequired(REQUIRED)],
        description=PASSWORD_HELP,
    )


def _confirm():
    return PasswordField(
        "Confirmation",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("new_password", "Les deux saisies ne correspondent pas."),
        ],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired(REQUIRED), Length(max=1024, message=TOO_LONG)],
    )
    new_password = _new_password()
    confirm = _confirm()


class SetupForm(FlaskForm):
    token = StringField(
        "Jeton d'installation",
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    email = EmailField(
        "Courriel",
        validators=[
            DataRequired(REQUIRED),
            Email("Adresse courriel invalide.", check_deliverability=False),
            Length(max=254, message=TOO_LONG),
        ],
    )
    name = StringField("Nom", validators=[Length(max=200, message=TOO_LONG)])
    new_password = _new_password()
    confirm = _confirm()

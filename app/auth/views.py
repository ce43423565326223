"""Login, logout, own password change and the one-time setup page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.auth import events, setup
from app.auth.forms import LoginForm, PasswordChangeForm, SetupForm
from app.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from app.auth.redirects import safe_next
from app.auth.sessions import end_other_sessions, end_session, start_session
from app.db import read_session
from app.extensions import db
from app.models.accounts import SecurityEventKind, User
from app.models.base import utcnow

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Courriel ou mot de passe incorrect."
THROTTLED = (
    "Trop de tentatives de connexion. Réessayez dans quelques minutes "
    "(le compte n'est pas bloqué définitivement)."
)


def _normalise_email(value: str | None) -> str:
    return (value or "").strip().lower()[:254]


def _throttled(form, next_url, email: str):
    events.record(SecurityEventKind.login_throttled, email=email)
    flash(THROTTLED, "error")
    response = current_app.make_response(
        (render_template("auth/login.html", form=form, next_url=next_url), 429)
    )
    response.headers["Retry-After"] = str(events.retry_after_seconds())
    return response


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("admin.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = _normalise_email(form.email.data)
        # A session check (cookie of an ended session) may have begun the
        # request's write transaction: nothing is pending, end it.
        db.session.commit()
        # The password check (argon2: a second on a loaded server) runs outside
        # any write transaction: a POST's first statement takes SQLite's write
        # lock, and every other save would wait for it. Reads first, in a read
        # session; the events and the session row after, in a short write.
        with read_session() as reader:
            blocked = events.login_blocked(email, reader)
            account = reader.execute(
                sa.select(User.id, User.password_hash).where(User.email == email)
            ).first()
        if blocked:
            return _throttled(form, next_url, email)
        stored = account.password_hash if account else None
        # Unknown account, inactive account and wrong password: same work, same answer.
        ok = verify_password(stored, form.password.data)
        rehashed = (
            hash_password(form.password.data) if ok and needs_rehash(stored) else None
        )
        # The write transaction starts here. Failures recorded by attempts run
        # in parallel meanwhile count: the limit holds as when logins queued.
        if events.login_blocked(email):
            return _throttled(form, next_url, email)
        user = db.session.get(User, account.id) if account else None
        if user is not None and user.password_hash != stored:
            ok = False  # changed meanwhile: the check was against the old one
        if ok and user is not None and user.active:
            if rehashed:
                user.password_hash = rehashed
            events.record(SecurityEventKind.login_success, user=user, commit=False)
            start_session(user)
            return redirect(next_url or url_for("admin.index"))
        events.record(
            SecurityEventKind.login_failure,
            email=email,
            user=user,
            detail=None if user else "compte inconnu",
        )
        flash(LOGIN_FAILED, "error")
        status = 200
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "auth/login.html",
            form=form,
            next_url=next_url,
            first_account_needed=setup.no_account_yet(),
        ),
        status,
    )


@bp.post("/deconnexion")
def logout():
    if current_user.is_authenticated:
        events.record(SecurityEventKind.logout, user=current_user, commit=False)
        db.session.commit()
    end_session()
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    user: User = current_user._get_current_object()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append("Mot de passe actuel incorrect.")
        else:
            problems = password_problems(form.new_password.data, user.email, user.name)
            if problems:
                form.new_password.errors.extend(problems)
            else:
                user.password_hash = hash_password(form.new_password.data)
                user.password_changed_at = utcnow()
                end_other_sessions(user, keep_current=True)
                events.record(
                    SecurityEventKind.password_change, user=user, commit=False
                )
                db.session.commit()
                flash(
                    "Mot de passe modifié. Vos autres sessions ont été fermées.",
                    "success",
                )
                return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/installation", methods=["GET", "POST"])
def first_admin():
    # The page exists only while there is no account at all.
    if not setup.no_account_yet():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        if not setup.token_matches(form.token.data):
            form.token.errors.append("Jeton d'installation incorrect.")
            events.record(
                SecurityEventKind.access_denied, detail="jeton d'installation refusé"
            )
        else:
            email = _normalise_email(form.email.data)
            problems = password_problems(form.new_password.data, email, form.name.data)
            if problems:
                form.new_password.errors.extend(problems)
            else:
                user = setup.create_administrator(
                    email,
                    form.name.data,
                    form.new_password.data,
                    "premier administrateur (page d'installation)",
                )
                start_session(user)
                flash("Compte administrateur créé ; vous êtes connecté·e.", "success")
                return redirect(url_for("admin.index"))
    return render_template("auth/setup.html", form=form)

"""Admin screens: one registration function builds a fresh Admin per app."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme

from app import models as m
from app.admin.accounts import AccountView, SecurityLogView
from app.admin.actions import ActionView
from app.admin.base import SecuredModelView
from app.admin.calendar import CalendarTokenView
from app.admin.documents import DocumentVersionView, DocumentView, TransmissionView
from app.admin.finder import SearchView
from app.admin.imports import DumpView, ImportView, TransferLogView
from app.admin.jobs import JobListView, JobView
from app.admin.journal import JournalView
from app.admin.mail import OutboxMessageView
from app.admin.meetings import AttendanceView, DecisionView, MeetingView
from app.admin.messages import french_banner
from app.admin.people import (
    CollegeView,
    MembershipView,
    MemberView,
    OrganisationView,
    WorkingGroupView,
)
from app.admin.plans import (
    AmendmentView,
    IndicatorView,
    MeasurementView,
    PlanActionView,
    PlanView,
)
from app.admin.plans_page import PlanOverviewView
from app.admin.report import report_pdf_attachment
from app.admin.rgpd import ConsentView, PersonalDataView
from app.auth.access import AccessMixin
from app.auth.headers import csp_nonce
from app.documents.safety import human_size
from app.documents.workflow import status_timeline
from app.extensions import db
from app.mail.history import meeting_messages
from app.mail.invitations import invitations_by_member, paris_text, reply_counts
from app.mail.outbox import address_health
from app.mail.share import register_report_attachment
from app.meetings.attendance import group_rates, member_rate
from app.meetings.dashboard import build_dashboard
from app.meetings.report import render_markdown
from app.plans.indicators import off_track_indicators
from app.rgpd.register import member_consents
from app.timezone import paris_time

PEOPLE = "Personnes"
MEETINGS = "Réunions"
DOCUMENTS = "Documents"
PLANS = "Suivi des plans"
DATA = "Données"
ADMINISTRATION = "Administration"


class DashboardView(AccessMixin, AdminIndexView):
    """The admin home page (any logged-in account)."""

    @expose("/")
    def index(self):
        off_track, off_track_total = off_track_indicators()
        return self.render(
            "admin/dashboard.html",
            board=build_dashboard(),
            off_track=off_track,
            off_track_total=off_track_total,
        )


def register_views(admin: Admin) -> None:
    """Register every record's view; one line per record type."""
    admin.add_view(MemberView(m.Member, category=PEOPLE, endpoint="member"))
    admin.add_view(
        OrganisationView(m.Organisation, category=PEOPLE, endpoint="organisation")
    )
    admin.add_view(CollegeView(m.College, category=PEOPLE, endpoint="college"))
    admin.add_view(
        WorkingGroupView(m.WorkingGroup, category=PEOPLE, endpoint="working_group")
    )
    admin.add_view(MembershipView(m.Membership, category=PEOPLE, endpoint="membership"))
    admin.add_view(MeetingView(m.Meeting, category=MEETINGS, endpoint="meeting"))
    admin.add_view(
        AttendanceView(m.Attendance, category=MEETINGS, endpoint="attendance")
    )
    admin.add_view(DecisionView(m.Decision, category=MEETINGS, endpoint="decision"))
    admin.add_view(ActionView(m.Action, category=MEETINGS, endpoint="action"))
    admin.add_view(
        OutboxMessageView(m.OutboxMessage, category=MEETINGS, endpoint="outbox_message")
    )
    admin.add_view(
        CalendarTokenView(m.CalendarToken, category=MEETINGS, endpoint="calendar_token")
    )
    admin.add_view(DocumentView(m.Document, category=DOCUMENTS, endpoint="document"))
    admin.add_view(
        PlanOverviewView(name="Vue d'ensemble", category=PLANS, endpoint="plans")
    )
    admin.add_view(
        TransmissionView(m.Transmission, category=DOCUMENTS, endpoint="transmission")
    )
    admin.add_view(
        DocumentVersionView(
            m.DocumentVersion, category=DOCUMENTS, endpoint="document_version"
        )
    )
    admin.add_view(PlanView(m.Plan, category=PLANS, endpoint="plan"))
    admin.add_view(PlanActionView(m.PlanAction, category=PLANS, endpoint="plan_action"))
    admin.add_view(AmendmentView(m.Amendment, category=PLANS, endpoint="amendment"))
    admin.add_view(IndicatorView(m.Indicator, category=PLANS, endpoint="indicator"))
    admin.add_view(
        MeasurementView(m.Measurement, category=PLANS, endpoint="measurement")
    )
    admin.add_view(
        SearchView(name="Recherche", endpoint="search", url="/admin/recherche")
    )
    admin.add_view(ImportView(name="Importer", category=DATA, endpoint="imports"))
    admin.add_view(DumpView(name="Sauvegarde complète", category=DATA, endpoint="dump"))
    admin.add_view(
        TransferLogView(name="Journal des échanges", category=DATA, endpoint="journal")
    )
    admin.add_view(JobView(name="Travail en cours", endpoint="jobs", url="/admin/jobs"))
    admin.add_view(
        JobListView(
            m.Job,
            name="Travaux en arrière-plan",
            category=ADMINISTRATION,
            endpoint="job",
        )
    )
    admin.add_view(
        JournalView(m.ChangeLog, category=ADMINISTRATION, endpoint="change_log")
    )
    admin.add_view(AccountView(m.User, category=ADMINISTRATION, endpoint="account"))
    admin.add_view(
        SecurityLogView(
            m.SecurityEvent, category=ADMINISTRATION, endpoint="security_event"
        )
    )
    admin.add_view(ConsentView(m.Consent, category=PEOPLE, endpoint="consent"))
    admin.add_view(
        PersonalDataView(
            name="Données personnelles", category=ADMINISTRATION, endpoint="rgpd"
        )
    )


def register_default_views(admin: Admin) -> None:
    """A view for every model that names its menu (``__menu__ = "Personnes"``) and
    has no view of its own yet: a new record type needs no screen code."""
    registered = {getattr(v, "model", None) for v in admin._views}
    models = sorted(
        (mapper.class_ for mapper in db.Model.registry.mappers),
        key=lambda cls: cls.__name__,
    )
    for cls in models:
        menu = cls.__dict__.get("__menu__")
        table = getattr(cls, "__table__", None)
        if not menu or cls in registered or table is None:
            continue
        if db.metadata.tables.get(table.fullname) is not table:
            continue  # a model whose table was taken out of the metadata
        admin.add_view(SecuredModelView(cls, category=menu, endpoint=cls.__tablename__))


def init_admin(app: Flask) -> Admin:
    """Create this app's Admin (never shared between apps) and register the views."""
    admin = Admin(
        app,
        name=app.config.get("ORG_SHORT_NAME", "CDPL"),
        url="/admin",
        index_view=DashboardView(name="Tableau de bord", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/cdpl_base.html", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    register_views(admin)
    register_default_views(admin)
    # A shared compte rendu carries the PDF as well as the ODT (issue 17 / 13).
    register_report_attachment(report_pdf_attachment)
    _register_template_helpers(app)
    return admin


def _register_template_helpers(app: Flask) -> None:
    """Functions the meeting, member and group pages call from their templates."""
    app.jinja_env.filters["french_banner"] = french_banner
    app.jinja_env.globals.update(
        member_attendance_rate=member_rate,
        group_attendance_rates=group_rates,
        render_minutes_markdown=render_markdown,
        meeting_reply_counts=reply_counts,
        meeting_messages=meeting_messages,
        meeting_invitations=invitations_by_member,
        mail_address_health=address_health,
        status_timeline=status_timeline,
        human_size=human_size,
        paris_time=paris_time,
        member_consents=member_consents,
    )
    app.jinja_env.filters["paris_datetime"] = paris_text


def model_views(admin: Admin) -> list[SecuredModelView]:
    """Every registered record view (used by the smoke tests and exports)."""
    return [v for v in admin._views if isinstance(v, SecuredModelView)]

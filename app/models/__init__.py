"""All models, imported here so that metadata and migrations see every table."""

from app.models.accounts import (
    AuthSession,
    Role,
    SecurityEvent,
    SecurityEventKind,
    User,
)
from app.models.actions import OPEN_ACTION_STATUSES, Action, ActionStatus
from app.models.audit import DataTransfer, TransferOperation, TransferOutcome
from app.models.base import Base, LabelledEnum, UTCDateTime, utcnow
from app.models.documents import (
    Document,
    DocumentKind,
    DocumentStatus,
    document_plan_action,
)
from app.models.history import ChangeKind, ChangeLog
from app.models.meetings import (
    Attendance,
    AttendanceStatus,
    CalendarToken,
    Decision,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from app.models.people import (
    College,
    GroupRole,
    Member,
    MemberRole,
    Membership,
    Organisation,
    OrganisationKind,
    WorkingGroup,
)
from app.models.plans import (
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Direction,
    Indicator,
    Measurement,
    Plan,
    PlanAction,
)
from app.models.search import SearchEntry

__all__ = [
    "User",
    "SecurityEventKind",
    "SecurityEvent",
    "Role",
    "AuthSession",
    "OPEN_ACTION_STATUSES",
    "Action",
    "ActionStatus",
    "Amendment",
    "AmendmentKind",
    "AmendmentStatus",
    "Attendance",
    "AttendanceStatus",
    "Base",
    "CalendarToken",
    "ChangeKind",
    "ChangeLog",
    "College",
    "DataTransfer",
    "Decision",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "GroupRole",
    "Indicator",
    "LabelledEnum",
    "Measurement",
    "Meeting",
    "MeetingKind",
    "MeetingStatus",
    "Member",
    "MemberRole",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Plan",
    "PlanAction",
    "SearchEntry",
    "TransferOperation",
    "TransferOutcome",
    "UTCDateTime",
    "WorkingGroup",
    "document_plan_action",
    "utcnow",
]

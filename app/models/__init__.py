"""All models, imported here so that metadata and migrations see every table."""

from app.models.accounts import (
    AuthSession,
    Role,
    SecurityEvent,
    SecurityEventKind,
    User,
)
from app.models.actions import OPEN_ACTION_STATUSES, Action, ActionStatus
from app.models.base import Base, LabelledEnum, UTCDateTime, utcnow
from app.models.documents import (
    Document,
    DocumentKind,
    DocumentStatus,
    document_plan_action,
)
from app.models.meetings import (
    Attendance,
    AttendanceStatus,
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
    "College",
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
    "UTCDateTime",
    "WorkingGroup",
    "document_plan_action",
    "utcnow",
]

"""The compte rendu page of a meeting, its ODT and Markdown downloads, its .ics."""

from __future__ import annotations

from flask import Response
from flask_admin import expose

from app.admin.minutes_forms import meeting_or_404
from app.meetings import ical
from app.meetings.feeds import ics_response
from app.meetings.odt import to_odt
from app.meetings.report import build_report, to_markdown


class ReportScreens:
    """Mixed into MeetingView (URLs /admin/meeting/report/…, /admin/meeting/ics/)."""

    @expose("/report/")
    def report_view(self):
        meeting = meeting_or_404()
        return self.render(
            "admin/meetings/report.html",
            meeting=meeting,
            report=build_report(meeting),
        )

    @expose("/report/odt/")
    def report_odt_view(self):
        report = build_report(meeting_or_404())
        return _download(
            to_odt(report),
            "application/vnd.oasis.opendocument.text",
            f"{report.filename}.odt",
        )

    @expose("/report/md/")
    def report_md_view(self):
        report = build_report(meeting_or_404())
        return _download(
            to_markdown(report).encode("utf-8"),
            "text/markdown",  # Flask adds "; charset=utf-8" itself
            f"{report.filename}.md",
        )

    @expose("/ics/")
    def ics_view(self):
        meeting = meeting_or_404()
        body = ical.calendar([meeting], ical.meeting_summary(meeting))
        response = ics_response(body, f"reunion-{meeting.id}.ics")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="reunion-{meeting.id}.ics"'
        )
        return response


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

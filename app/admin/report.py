"""The compte rendu page of a meeting, its ODT, Markdown and PDF downloads, its
feuille d'émargement and its .ics."""

from __future__ import annotations

from flask import Response, current_app, render_template, url_for
from flask_admin import expose

from app.admin.minutes_forms import meeting_or_404
from app.mail.outbox import Attachment
from app.meetings import ical
from app.meetings.feeds import ics_response
from app.meetings.pdf import html_to_pdf
from app.meetings.report import build_report, to_markdown
from app.meetings.signin import signin_sheet

PDF = "application/pdf"


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
        # odfpy (~2 MB resident) is loaded by the first ODT written, not at start-up.
        from app.meetings.odt import to_odt

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

    @expose("/report/pdf/")
    def report_pdf_view(self):
        """The compte rendu page itself, printed (same HTML, print stylesheet)."""
        meeting = meeting_or_404()
        report = build_report(meeting)
        return _download(self.report_pdf_bytes(meeting), PDF, f"{report.filename}.pdf")

    def report_pdf_bytes(self, meeting) -> bytes:
        """The PDF of a meeting's compte rendu (the page printed)."""
        report = build_report(meeting)
        html = self.render(
            "admin/meetings/report.html",
            meeting=meeting,
            report=report,
            report_base="admin/meetings/pdf_base.html",
            pdf_title=f"Compte rendu — {report.heading} — {report.date}",
        )
        return _pdf(html)

    @expose("/emargement/")
    def signin_view(self):
        """The feuille d'émargement: one line per person expected, to sign."""
        sheet = signin_sheet(meeting_or_404())
        html = render_template(
            "admin/meetings/signin_sheet.html",
            sheet=sheet,
            pdf_title=f"Feuille d'émargement — {sheet.group or sheet.kind} — {sheet.date}",
        )
        return _download(_pdf(html), PDF, sheet.filename)

    @expose("/ics/")
    def ics_view(self):
        meeting = meeting_or_404()
        body = ical.calendar([meeting], ical.meeting_summary(meeting))
        response = ics_response(body, f"reunion-{meeting.id}.ics")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="reunion-{meeting.id}.ics"'
        )
        return response


def _pdf(html: str) -> bytes:
    static_path = url_for("static", filename="").rstrip("/")
    return html_to_pdf(html, current_app.static_folder, static_path)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def report_pdf_attachment(meeting) -> Attachment:
    """The PDF attached to a compte rendu shared by e-mail (app.mail.share), printed
    by this app's meeting screen like the "Télécharger (PDF)" button."""
    view = next(
        v
        for v in current_app.extensions["admin"][0]._views
        if isinstance(v, ReportScreens)
    )
    report = build_report(meeting)
    return Attachment(f"{report.filename}.pdf", PDF, view.report_pdf_bytes(meeting))

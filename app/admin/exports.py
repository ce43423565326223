"""Export of any admin list in CSV, CSV for Excel, XLSX, ODS and JSON.

``ExportMixin`` replaces Flask-Admin's export (which loads every object and
serves a header-only file with status 200 when a row fails): the view's own
search, filters and sort are applied through Flask-Admin's query building,
then the rows are read as plain tuples from a streamed query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    stream_with_context,
)
from flask_admin import expose
from flask_admin.helpers import get_redirect_target

from app.exports import writers
from app.exports.audit import current_actor, record
from app.exports.columns import ExportPlan
from app.extensions import db
from app.models.audit import TransferOperation
from app.models.base import utcnow
from app.perf import release_memory

log = logging.getLogger(__name__)


def _batches(conn, result, convert, size: int) -> Iterator[list]:
    try:
        for part in result.partitions(size):
            yield list(convert(part))
    finally:
        result.close()  # a server-side cursor must not outlive a failure
        conn.close()


def _raw_batches(raw, cursor, convert, size: int) -> Iterator[list]:
    try:
        while rows := cursor.fetchmany(size):
            yield list(convert(rows))
    finally:
        cursor.close()
        raw.close()  # back to the pool


def sqlite_execute(raw, stmt):
    """Run a select on a DB-API connection with SQLAlchemy's bind processing."""
    compiled = stmt.compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    processors = compiled._bind_processors
    args = [
        processors[name](params[name]) if name in processors else params[name]
        for name in compiled.positiontup or ()
    ]
    cursor = raw.cursor()
    cursor.execute(compiled.string, args)
    return cursor


class ExportMixin:
    """Mixed into SecuredModelView: ``/export/<fmt>/`` for every list view."""

    export_types = list(writers.FORMATS.values())

    def export_plan(self) -> ExportPlan:
        return ExportPlan(self.model, self.get_export_columns())

    def export_query(self, plan: ExportPlan):
        """The list's query (search, filters, sort as on screen) selecting raw columns."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        sort_column = sort[0] if sort is not None else None
        joins: dict = {}
        query = self.get_query()
        if self._search_supported and args.search:
            query, _, joins, _ = self._apply_search(query, None, joins, {}, args.search)
        if args.filters and self._filters:
            query, _, joins, _ = self._apply_filters(
                query, None, joins, {}, args.filters
            )
        query, joins = self._apply_sorting(query, joins, sort_column, args.sort_desc)
        return plan.apply(query)

    def iter_export_rows(self, plan: ExportPlan, fmt: str, batch_size: int):
        """Batches of cell rows read from the database as they are written out.

        PostgreSQL: a server-side cursor (``stream_results``) on a connection
        of its own (the request may commit its session meanwhile). SQLite: a
        pooled DB-API connection of its own in autocommit mode: a lone SELECT
        reads a WAL snapshot without blocking writers, and nothing the request
        does with its session (its record of the export) can end it.
        """
        stmt = self.export_query(plan).statement
        finishers = writers.FINISHERS[fmt]
        if db.engine.dialect.name == "sqlite":
            # End the request's own transaction (opened by the session check):
            # no snapshot or lock of the session is kept for a long download.
            db.session.commit()
            raw = db.engine.raw_connection()
            try:
                cursor = sqlite_execute(raw, stmt)
            except BaseException:
                raw.close()
                raise

            def lookup(query):
                return sqlite_execute(raw, query).fetchall()

            convert = plan.batch_converter(lookup, finishers)
            return _raw_batches(raw, cursor, convert, batch_size)
        # A connection of its own: the server-side cursor lives in its
        # transaction, which nothing else in the request may commit or end.
        conn = db.engine.connect()
        try:
            result = conn.execution_options(
                stream_results=True, yield_per=batch_size
            ).execute(stmt)
        except BaseException:
            conn.close()
            raise
        convert = plan.batch_converter(
            lambda query: conn.execute(query).all(), finishers
        )
        return _batches(conn, result, convert, batch_size)

    def export_filename(self, fmt: str) -> str:
        label = getattr(self.model, "__label_plural__", None) or str(self.name)
        return writers.download_name(label, fmt, utcnow())

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        return_url = get_redirect_target() or self.get_url(".index_view")
        if not self.can_export or export_type not in writers.FORMATS:
            flash("Ce format d'export n'est pas disponible.", "error")
            return redirect(return_url)
        details = request.query_string.decode("utf-8", "replace") or None
        # Read now: once streaming starts, the request's session (and the
        # logged-in account loaded in it) may already be closed.
        actor = current_actor()
        batch_size = int(current_app.config.get("EXPORT_STREAM_BATCH", 2000))
        plan = self.export_plan()
        counter = {"rows": 0}

        def counted(source):
            try:
                for batch in source:
                    counter["rows"] += len(batch)
                    yield batch
            finally:
                source.close()  # release the cursor and its connection now

        def fail(exc: Exception) -> None:
            log.exception("Export of %s as %s failed", self.endpoint, export_type)
            db.session.rollback()
            record(
                TransferOperation.export,
                self.endpoint,
                counter["rows"],
                file_format=export_type,
                details=f"{details or ''} — échec : {type(exc).__name__}",
                success=False,
                actor=actor,
            )

        batches = None
        try:
            batches = counted(self.iter_export_rows(plan, export_type, batch_size))
            # Read the first batch now: a failure here gives an error page,
            # not a file that starts fine.
            first = next(batches, None)
        except Exception as exc:
            if batches is not None:
                batches.close()
            fail(exc)
            flash(
                "L'export n'a pas pu être produit à cause d'une erreur interne ; "
                "elle a été consignée.",
                "error",
            )
            return redirect(return_url)

        def all_batches():
            try:
                if first is not None:
                    yield first
                yield from batches
            finally:
                batches.close()

        filename = self.export_filename(export_type)
        if export_type in writers.STREAMED:
            return self._streamed_export(
                export_type,
                plan,
                all_batches(),
                filename,
                counter,
                details,
                fail,
                actor,
            )
        try:
            build = writers.write_xlsx if export_type == "xlsx" else writers.write_ods
            source = all_batches()
            fh, _count = build(plan.headers, plan.kinds, source, self.name)
            release_memory()  # the workbook is in its temporary file now
        except Exception as exc:
            source.close()
            fail(exc)
            flash(
                "L'export n'a pas pu être produit à cause d'une erreur interne ; "
                "elle a été consignée. Aucun fichier n'a été envoyé.",
                "error",
            )
            return redirect(return_url)
        record(
            TransferOperation.export,
            self.endpoint,
            counter["rows"],
            file_format=export_type,
            details=details,
            actor=actor,
        )
        return send_file(
            fh,
            mimetype=writers.MIMETYPES[export_type],
            as_attachment=True,
            download_name=filename,
            max_age=0,
        )

    def _streamed_export(
        self, fmt, plan, batches, filename, counter, details, fail, actor
    ):
        if fmt == "json":
            chunks = writers.json_chunks(plan.headers, batches)
        else:
            chunks = writers.csv_chunks(plan.headers, batches, excel=fmt == "csv-excel")

        def body():
            try:
                yield from chunks
            except Exception as exc:
                # The writer already ended the file with its error marker.
                batches.close()
                fail(exc)
                return
            finally:
                chunks.close()
                release_memory()
            db.session.rollback()  # end the read transaction before logging
            record(
                TransferOperation.export,
                self.endpoint,
                counter["rows"],
                file_format=fmt,
                details=details,
                actor=actor,
            )

        response = Response(
            stream_with_context(body()), mimetype=writers.MIMETYPES[fmt]
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

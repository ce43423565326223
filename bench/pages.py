"""Which pages to measure, read from the app's registered views."""

from __future__ import annotations

import re

from bench import dataset


def plan_pages(url: str, quick: bool) -> dict:
    """Read the registered views in-process and decide which URLs to measure."""
    import sqlalchemy as sa
    from flask_admin.model.filters import BaseBooleanFilter

    from app import create_app
    from app.admin import model_views
    from app.extensions import db

    app = create_app(dataset.app_config(url, AUTO_MIGRATE=False))
    pages = []
    exports = []
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        for view in model_views(admin):
            ep = f"/admin/{view.endpoint}"
            model = view.model
            total = db.session.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar()
            ids = sorted(db.session.execute(sa.select(model.id)).scalars().all())
            middle = ids[len(ids) // 2] if ids else None
            pages.append(dict(view=view.endpoint, kind="première page", path=f"{ep}/"))
            size = view.page_size or 50
            last_page = max((total - 1) // size, 0)
            deep = last_page // 2
            pages.append(
                dict(
                    view=view.endpoint,
                    kind=f"page profonde ({deep + 1}/{last_page + 1})",
                    path=f"{ep}/?page={deep}",
                )
            )
            term = search_term(view, model, middle)
            if term:
                from urllib.parse import quote

                pages.append(
                    dict(
                        view=view.endpoint,
                        kind=f"recherche « {term} »",
                        path=f"{ep}/?search={quote(term)}",
                    )
                )
            flt = pick_filter(view, BaseBooleanFilter)
            if flt:
                label, query = flt
                pages.append(
                    dict(
                        view=view.endpoint,
                        kind=f"filtre {label}",
                        path=f"{ep}/?{query}",
                    )
                )
            if middle is not None:
                if type(view).can_view_details:
                    pages.append(
                        dict(
                            view=view.endpoint,
                            kind="fiche",
                            path=f"{ep}/details/?id={middle}",
                        )
                    )
                if type(view).can_edit:
                    pages.append(
                        dict(
                            view=view.endpoint,
                            kind="modification",
                            path=f"{ep}/edit/?id={middle}",
                        )
                    )
            picker = ajax_picker(view, model, middle)
            if picker:
                pages.append(
                    dict(view=view.endpoint, kind=picker[0], path=f"{ep}/{picker[1]}")
                )
            if type(view).can_export and f"{view.endpoint}.export" in rules:
                exports.append(
                    dict(view=view.endpoint, path=f"{ep}/export/csv/", rows=total)
                )
        pages.append(dict(view="tableau de bord", kind="accueil", path="/admin/"))
        # SQLite: end this session's BEGIN IMMEDIATE before another one starts.
        db.session.rollback()
        minutes = minutes_page(app, rules)
        if minutes:
            pages.append(dict(view="compte rendu", kind="page", path=minutes))
        pages.extend(plan_follow_up_pages(rules))
        import_path = import_page(rules)
    with app.app_context():
        db.engine.dispose()
    return {"pages": pages, "exports": exports, "import": import_path}


def search_term(view, model, row_id) -> str | None:
    """A realistic search: the first searchable text of a row in the middle."""
    from app.extensions import db

    if row_id is None or not view.column_searchable_list:
        return None
    row = db.session.get(model, row_id)
    for name in view.column_searchable_list:
        value = row
        for part in str(name).split("."):
            value = getattr(value, part, None) if value is not None else None
        if isinstance(value, str) and value.strip():
            words = value.split()
            return " ".join(words[:3])[:40]
    return None


def ajax_picker(view, model, row_id) -> tuple[str, str] | None:
    """The search-as-you-type picker of the first related field (3 letters typed)."""
    from urllib.parse import urlencode

    from app.extensions import db

    refs = getattr(view, "_form_ajax_refs", None) or {}
    if not refs or row_id is None:
        return None
    row = db.session.get(model, row_id)
    for name in refs:
        if "-" in name:  # inline sub-form pickers
            continue
        value = getattr(row, name, None)
        if isinstance(value, list):
            value = value[0] if value else None
        term = str(value)[:3] if value is not None else "a"
        query = urlencode({"name": name, "query": term})
        return f"sélecteur {name} « {term} »", f"ajax/lookup/?{query}"
    return None


def pick_filter(view, boolean_cls) -> tuple[str, str] | None:
    """A filter a person would use: an 'equals' on a list of choices, else any."""
    args = getattr(view, "_filter_args", None) or {}
    best = None
    for arg, (_idx, flt) in args.items():
        if "empty" in type(flt).__name__.lower():
            continue
        options = None
        try:
            options = flt.get_options(view)
        except Exception:
            options = None
        if options:
            value = options[0][0]
            candidate = (f"{flt.name} = {options[0][1]}", f"flt0_{arg}={value}")
            if not isinstance(flt, boolean_cls):
                return candidate
            best = best or candidate
    if best:
        return best
    for arg, (_idx, flt) in args.items():
        name = type(flt).__name__.lower()
        if "date" in name and "between" not in name and "empty" not in name:
            if "greater" in name:
                return (f"{flt.name} après 2020-01-01", f"flt0_{arg}=2020-01-01")
    return None


def minutes_page(app, rules) -> str | None:
    """The compte rendu page of the meeting in the middle, if the app has one."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Meeting

    # The rendered compte rendu (issue 5: meeting.report_view) first.
    ordered = sorted(rules.items(), key=lambda item: item[0] != "meeting.report_view")
    for endpoint, rule in ordered:
        text = f"{endpoint} {rule.rule}".lower()
        if not any(w in text for w in ("report", "compte", "minutes")):
            continue
        if "GET" not in (rule.methods or ()):
            continue
        with app.app_context():
            mid = db.session.execute(
                sa.select(Meeting.id)
                .order_by(Meeting.id)
                .offset(
                    db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar()
                    // 2
                )
            ).scalar()
        args = set(rule.arguments)
        if not args:
            return f"{rule.rule}?id={mid}"
        if len(args) == 1:
            return re.sub(r"<[^>]+>", str(mid), rule.rule)
    return None


def import_page(rules) -> str | None:
    # The generic import screen (issue 6) serves every kind, members included.
    for endpoint, rule in rules.items():
        if endpoint == "imports.index":
            return rule.rule
    for endpoint, rule in rules.items():
        if endpoint.startswith("member.") and "import" in endpoint.lower():
            if "GET" in (rule.methods or ()) and not rule.arguments:
                return rule.rule
    return None


def plan_follow_up_pages(rules) -> list[dict]:
    """Issue 16: the page of the largest plan and the page of an indicator with
    measurements, when the app has them."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Measurement, PlanAction

    pages = []
    if "plan.page_view" in rules:
        plan_id, actions = db.session.execute(
            sa.select(PlanAction.plan_id, sa.func.count())
            .group_by(PlanAction.plan_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one_or_none() or (None, 0)
        if plan_id is not None:
            pages.append(
                dict(
                    view="page du plan",
                    kind=f"plan de {actions} actions",
                    path=f"/admin/plan/page/?id={plan_id}",
                )
            )
            if "plan.avis_view" in rules:
                pages.append(
                    dict(
                        view="page du plan",
                        kind="amendements de l'avis",
                        path=f"/admin/plan/avis/?id={plan_id}",
                    )
                )
    if "indicator.chart_view" in rules:
        row = db.session.execute(
            sa.select(Measurement.indicator_id, sa.func.count())
            .group_by(Measurement.indicator_id)
            .order_by(sa.func.count().desc(), Measurement.indicator_id)
            .limit(1)
        ).one_or_none()
        if row is not None:
            pages.append(
                dict(
                    view="indicateur",
                    kind=f"graphique, {row[1]} mesures",
                    path=f"/admin/indicator/chart/?id={row[0]}",
                )
            )
    db.session.rollback()
    return pages

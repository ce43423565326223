"""Search at 100× (issue 18): the global search and the list searches.

    python -m bench.search [--db sqlite|postgresql] [--quick] [--rebuild]

Reuses (or builds) the data set of ``bench.run``, starts the app under
waitress, logs in and measures, one request at a time: the global search
(``/admin/recherche/``) for one word and two words taken from a member in the
middle of the table, and, for the member, meeting and attendance lists, the
first page and a search (accents and case changed, as a person types them),
one request of each in turn.
Results go to bench/out/search-<db>.json; ``bench.report`` adds them to
docs/performance.md (section "Recherche").
"""

from __future__ import annotations

import argparse
import json
import os
import unicodedata
from datetime import UTC, datetime
from urllib.parse import quote

from bench import dataset
from bench.measure import machine, measure, measure_interleaved, raise_priority
from bench.report import write_report_or_say_why
from bench.server import server_env, serving

OUT = dataset.OUT


def _plain(text: str) -> str:
    """What a hurried person types: no accents, lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def plan(url: str) -> list[dict]:
    """The pages to measure, with search words read from the data set."""
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import Meeting, Member

    app = create_app(dataset.app_config(url, AUTO_MIGRATE=False))
    with app.app_context():
        count = db.session.execute(sa.select(sa.func.count(Member.id))).scalar()
        member = db.session.execute(
            sa.select(Member).order_by(Member.id).offset(count // 2).limit(1)
        ).scalar_one()
        meetings = db.session.execute(sa.select(sa.func.count(Meeting.id))).scalar()
        meeting = db.session.execute(
            sa.select(Meeting).order_by(Meeting.id).offset(meetings // 2).limit(1)
        ).scalar_one()
        word = next(w for w in (meeting.objective or "réunion").split() if len(w) > 4)
        last, first = _plain(member.last_name), _plain(member.first_name)
        db.session.rollback()
        db.engine.dispose()
    pages = [
        dict(
            view="recherche",
            kind=f"un mot « {last} »",
            path=f"/admin/recherche/?q={quote(last)}",
        ),
        dict(
            view="recherche",
            kind=f"deux mots « {first} {last} »",
            path=f"/admin/recherche/?q={quote(first + ' ' + last)}",
        ),
    ]
    common = _plain(word)
    pages.append(
        dict(
            view="recherche",
            kind=f"mot fréquent « {common} » (sans cible)",
            path=f"/admin/recherche/?q={quote(common)}",
        )
    )
    lists = {
        "member": last,
        "meeting": _plain(word),
        "attendance": last,
    }
    for view, term in lists.items():
        pages.append(dict(view=view, kind="première page", path=f"/admin/{view}/"))
        pages.append(
            dict(
                view=view,
                kind=f"recherche « {term} »",
                path=f"/admin/{view}/?search={quote(term)}",
            )
        )
    return pages


def run(kind: str, quick: bool, rebuild: bool, url: str | None) -> dict:
    url = dataset.database_url(kind, url, quick)
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    built = dataset.ensure(url, quick=quick, rebuild=rebuild)
    pages = plan(url)
    env = server_env(url)
    measured = []
    log = OUT / f"server-search-{kind}.log"
    with serving(url, env, log) as (server, session, auth):
        repeat = 8 if quick else 20
        # The global searches one after the other; each list's first page and
        # its search in turn (``measure_interleaved``): they are compared.
        batches: list[list[dict]] = []
        for page in pages:
            if page["view"] != "recherche" and batches and len(batches[-1]) == 1:
                if batches[-1][0]["view"] == page["view"]:
                    batches[-1].append(page)
                    continue
            batches.append([page])
        for batch in batches:
            if len(batch) == 1:
                results = [measure(session, batch[0]["path"], repeat, server.pid)]
            else:
                paths = [page["path"] for page in batch]
                results = measure_interleaved(session, paths, repeat, server.pid)
            for page, result in zip(batch, results, strict=True):
                measured.append({**page, **result})
                print(
                    f"  {page['view']:<12} {page['kind'][:40]:<40} "
                    f"{result['median_ms']:7.1f} {result['p95_ms']:7.1f} ms "
                    f"(CPU {result['cpu_ms']:5.1f}) {result['queries']} req. "
                    f"[{result['status']}]",
                    flush=True,
                )
    result = {
        "db": kind,
        "quick": quick,
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"before": load_before, "after": os.getloadavg()},
        "auth": auth,
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "index_seconds": built.get("timings", {}).get("search_entry"),
        "pages": measured,
    }
    name = f"search-{kind}{'-quick' if quick else ''}.json"
    (OUT / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set")
    parser.add_argument(
        "--url", help="database URL (default: bench/out or BENCH_PG_URL)"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="keep docs/performance.md"
    )
    parser.add_argument(
        "--priority",
        action="store_true",
        help="run the bench and the server at nice -10 (root), as bench.run does",
    )
    args = parser.parse_args(argv)
    if args.priority:
        raise_priority()
    run(args.db, args.quick, args.rebuild, args.url)
    if not args.no_doc:
        path = write_report_or_say_why()
        if path is not None:
            print(f"Rapport écrit : {path}")


if __name__ == "__main__":
    main()

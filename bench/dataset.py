"""Build the benchmark data set (100× the council) through the app's own models.

    python -m bench.dataset [--db sqlite|postgresql] [--url URL] [--quick]

The schema comes from the app's migrations (``create_app`` with AUTO_MIGRATE);
rows are inserted in batches with SQLAlchemy Core on the models' tables, with
explicit primary keys so that foreign keys need no round trip. Values are
deterministic (fixed random seed) so that two runs measure the same data.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import sqlalchemy as sa

from bench.rows import Builder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_PG_URL = "postgresql://postgres:postgres@127.0.0.1:5432/cdpl_bench"
BENCH_SECRET = "bench-secret-key-" + "b" * 40

#: Row counts of the full data set (the issue's "100× the council").
FULL = {
    "college": 4,
    "organisation": 200,
    "member": 20_000,
    "working_group": 100,
    "membership": 3_000,
    "meeting": 20_000,
    "attendance": 400_000,
    "decision": 20_000,
    "action": 50_000,
    "document": 20_000,
    "document_plan_action": 5_000,
    "plan": 5,
    "plan_action": 500,
    "amendment": 1_000,
    "indicator": 2_000,
    "measurement": 100_000,
}
ATTENDEES_PER_MEETING = 20
MEASURES_PER_INDICATOR = 50


def scaled(quick: bool) -> dict[str, int]:
    """Row counts: the full set, or a tenth of it for --quick runs."""
    if not quick:
        return dict(FULL)
    counts = {k: max(v // 10, 5) for k, v in FULL.items()}
    counts["college"] = 4
    counts["plan"] = 5
    counts["attendance"] = counts["meeting"] * ATTENDEES_PER_MEETING
    counts["measurement"] = counts["indicator"] * MEASURES_PER_INDICATOR
    return counts


def database_url(kind: str, url: str | None = None, quick: bool = False) -> str:
    """Where the benchmark data lives (never the council's own database)."""
    if url:
        return url
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        name = "bench-quick.sqlite3" if quick else "bench.sqlite3"
        return f"sqlite:///{OUT / name}"
    return os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)


def app_config(url: str, **extra) -> dict:
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": BENCH_SECRET,
        "AUTO_MIGRATE": True,
    }
    config.update(extra)
    return config


def reset_database(url: str) -> None:
    """Start from an empty database (file removed, or schema recreated)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from app.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def existing_counts(url: str) -> dict[str, int] | None:
    """Row counts of a data set already built at ``url``, or None."""
    from app.config import normalise_database_url

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return None
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            if "bench_info" not in names:
                return None
            if schema_revisions(conn) != migration_heads():
                return None  # built with older migrations: rebuild
            rows = conn.execute(sa.text("SELECT name, rows FROM bench_info")).all()
            return {name: count for name, count in rows}
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def schema_revisions(conn) -> set[str]:
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return {row[0] for row in rows}


def migration_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.db import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    return set(ScriptDirectory.from_config(cfg).get_heads())


def build(url: str, quick: bool = False, log=print) -> dict:
    """Recreate the database at ``url`` and fill it; return counts and timings."""
    from app import create_app
    from app.extensions import db
    from app.opendata.freshness import renew_stamp
    from app.search import rebuild

    counts = scaled(quick)
    started = time.perf_counter()
    reset_database(url)
    app = create_app(app_config(url))
    migrated = time.perf_counter()
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            builder = Builder(conn, counts)
            builder.run()
        # Core inserts skip the index hook: fill the search index as
        # `cdpl-gestion reindex` does, before the statistics are refreshed.
        indexed = time.perf_counter()
        rebuild(db.session)
        # The stamp any write through the app leaves (the open-data package's
        # and the dashboard's off-track list are kept per process against it).
        renew_stamp(db.session)
        db.session.commit()
        builder.timings["search_entry"] = time.perf_counter() - indexed
        with engine.begin() as conn:
            finish_database(conn, counts)
        engine.dispose()
    total = time.perf_counter() - started
    log(
        f"Jeu de données construit en {total:.1f} s "
        f"(schéma {migrated - started:.1f} s) : {url.split('@')[-1]}"
    )
    return {"counts": counts, "seconds": total, "timings": builder.timings}


def finish_database(conn, counts: dict[str, int]) -> None:
    """Reset sequences (PostgreSQL), refresh planner statistics, mark the set."""
    from app.extensions import db

    if conn.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.c:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table.name}), 1))"
                )
    conn.exec_driver_sql("CREATE TABLE bench_info (name VARCHAR(64), rows INTEGER)")
    conn.execute(
        sa.text("INSERT INTO bench_info (name, rows) VALUES (:name, :rows)"),
        [{"name": k, "rows": v} for k, v in counts.items()],
    )
    conn.exec_driver_sql("ANALYZE")


def vacuum(url: str) -> None:
    """PostgreSQL: VACUUM so index-only scans and counts see an all-visible map."""
    from app.config import normalise_database_url

    if not url.startswith("postgres"):
        return
    engine = sa.create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def ensure(url: str, quick: bool = False, rebuild: bool = False, log=print) -> dict:
    """Build the data set unless the same one is already there."""
    wanted = scaled(quick)
    if not rebuild and existing_counts(url) == wanted:
        log(f"Jeu de données existant réutilisé : {url.split('@')[-1]}")
        return {"counts": wanted, "seconds": None, "timings": {}}
    result = build(url, quick=quick, log=log)
    vacuum(url)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--url", help="database URL (default: bench/out or BENCH_PG_URL)"
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows")
    args = parser.parse_args(argv)
    url = database_url(args.db, args.url, args.quick)
    result = build(url, quick=args.quick)
    vacuum(url)
    for table, seconds in result["timings"].items():
        print(
            f"  {table:<22} {result['counts'].get(table, 0):>8} lignes  {seconds:6.1f} s"
        )


if __name__ == "__main__":
    main()

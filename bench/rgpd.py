"""RGPD measurements (issue 19): the per-member export of a member with 100,000
history entries (time, ZIP size, peak memory of the export) and an anonymisation.

    python -m bench.rgpd                       # temporary SQLite database
    python -m bench.rgpd --db postgresql://cdpl:cdpl@127.0.0.1:5432/cdpl_bench_rgpd

The PostgreSQL database is emptied first (DROP SCHEMA public): never point it at
real data.
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc
from datetime import UTC, datetime

from app.extensions import db
from app.models import ChangeLog, Member
from app.rgpd.anonymise import anonymise_member
from app.rgpd.export import write_member_export
from bench.server import scratch_app

ENTRIES = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="", help="URL PostgreSQL (sinon SQLite)")
    args = parser.parse_args()
    with scratch_app(args.db, "bench-rgpd") as app, app.app_context():
        kind = db.engine.dialect.name
        member = Member(first_name="Mesure", last_name="Export", email="m@example.org")
        db.session.add(member)
        db.session.commit()
        for start in range(0, ENTRIES, 10_000):
            db.session.execute(
                ChangeLog.__table__.insert(),
                [
                    {
                        "changed_at": datetime(2026, 1, 1, tzinfo=UTC),
                        "actor_id": None,
                        "actor_label": "bench",
                        "record_type": "member",
                        "record_id": member.id,
                        "record_label": member.full_name,
                        "kind": "update",
                        "changes": {"notes": [f"a{n}", f"b{n}"]},
                        "snapshot": {"notes": f"b{n}"},
                        "batch": f"{n:032d}",
                        "note": None,
                    }
                    for n in range(start, start + 10_000)
                ],
            )
        db.session.commit()
        buffer = io.BytesIO()
        began = time.perf_counter()
        write_member_export(buffer, member.id)
        export_s = time.perf_counter() - began
        tracemalloc.start()
        write_member_export(io.BytesIO(), member.id)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        began = time.perf_counter()
        anonymise_member(member.id)
        anonymise_s = time.perf_counter() - began
    print(
        f"{kind} : export de "
        f"{ENTRIES} entrées d'historique en {export_s:.1f} s "
        f"(ZIP {len(buffer.getvalue()) / 1e6:.1f} Mo, pic Python "
        f"{peak / 1e6:.0f} Mo avec l'archive en mémoire) ; anonymisation "
        f"{anonymise_s:.1f} s"
    )


if __name__ == "__main__":
    main()

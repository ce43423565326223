"""The benchmark's targets, reference figures and folders (read by the run and the report)."""

from __future__ import annotations

from bench import dataset

ROOT = dataset.ROOT
OUT = dataset.OUT
DOC = ROOT / "docs" / "performance.md"

#: Targets of issue 8.
LIST_MEDIAN_MS = 30
LIST_P95_MS = 60
MAX_QUERIES = 10
EXPORT_RATIO = 2.0
EXPORT_RSS_MB = 50
IMPORT_S = 10
COLD_START_S = 1.5
#: Targets of issue 18: the global search, and list searches no slower than
#: the same list's first page.
GLOBAL_SEARCH_MS = 50
#: Reference figures quoted by the issue (same machine, same size, 50-row page).
REFERENCES = {
    "member": {"django": 42, "flask_admin_untuned": 21},
    "attendance": {"django": 118, "flask_admin_untuned": 30},
}
DATASETTE_CSV_S = 13.0

#: Targets of issue 21 (concurrency, tail, memory, dashboard).
CONC_READ_P99_MS = 700
CONC_SCALE = 1.5
ONE_CLIENT_P99_RATIO = 2.0
START_RSS_MB = 70
EXPORTS_RSS_RATIO = 1.3
DASHBOARD_MEDIAN_MS = 30
LIST_VS_DJANGO = 0.5
#: Django admin's first-page medians as issue 21 measured them (same data).
DJANGO_21 = {"member": 44, "attendance": 52}

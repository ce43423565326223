"""``bench.report`` never silently drops a section of docs/performance.md.

The sections are rebuilt from bench/out/*.json, which is not committed: on a
new machine or a clean clone, a bench run used to rewrite the document with
only the sections whose results were there.
"""

from __future__ import annotations

import pytest

from bench import report, targets

BEFORE = (
    "# Performance\n\n## SQLite\n\nchiffres du passage précédent\n\n"
    "<!-- bench.imports:sqlite -->\n## Import de 100 000 membres — SQLite\n\nnotes\n"
)


@pytest.fixture
def bench_files(tmp_path, monkeypatch):
    """An empty bench/out and a document of its own."""
    out = tmp_path / "out"
    out.mkdir()
    doc = tmp_path / "performance.md"
    monkeypatch.setattr(targets, "OUT", out)
    monkeypatch.setattr(targets, "DOC", doc)
    return doc


def test_a_rebuild_that_would_lose_sections_leaves_the_document_as_it_is(
    bench_files, capsys
):
    bench_files.write_text(BEFORE, encoding="utf-8")
    with pytest.raises(report.SectionsWouldBeLost, match="« SQLite »"):
        report.write_report()
    assert bench_files.read_text(encoding="utf-8") == BEFORE
    with pytest.raises(SystemExit, match="--force"):
        report.main([])
    assert bench_files.read_text(encoding="utf-8") == BEFORE
    # The benches that end with a rebuild say why, and carry on.
    assert report.write_report_or_say_why() is None
    assert "« SQLite »" in capsys.readouterr().out
    assert bench_files.read_text(encoding="utf-8") == BEFORE


def test_forced_or_lossless_rebuilds_are_written(bench_files):
    bench_files.write_text(BEFORE, encoding="utf-8")
    report.main(["--force"])
    rebuilt = bench_files.read_text(encoding="utf-8")
    assert "## SQLite\n" not in rebuilt
    # The hand-written tail is kept (``KEPT_FROM``).
    assert rebuilt.endswith("## Import de 100 000 membres — SQLite\n\nnotes\n")
    # Nothing left to lose: written again without being forced.
    bench_files.write_text(rebuilt + "\n", encoding="utf-8")
    report.write_report()
    assert bench_files.read_text(encoding="utf-8") == rebuilt

"""LibreOffice (headless) for the tests: open files as people do, read what they see.

Conversions are slow (a few seconds per soffice start), so callers convert many
files in one call. Each test session uses a profile of its own
(-env:UserInstallation) so that parallel runs never fight over LibreOffice's lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
#: CSV import as French Excel users open it: ";", '"', UTF-8, from line 1,
#: French locale (1036: decimal comma, day/month order), special numbers
#: (dates, times) detected.
FRENCH_CSV = "Text - txt - csv (StarCalc):59,34,76,1,,1036,false,true"


def require_soffice() -> str:
    """The soffice binary; missing, the test fails under CI=true, else skips."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    message = "LibreOffice (soffice) absent : lancez .ci/install-office"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Office:
    def __init__(self, binary: str, profile: Path) -> None:
        self.binary = binary
        self.profile = profile

    def convert(
        self, files: list[Path], target: str, outdir: Path, infilter: str | None = None
    ) -> list[Path]:
        """Convert every file in one soffice run; returns the converted paths."""
        outdir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary,
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
        ]
        if infilter:
            args.append(f"--infilter={infilter}")
        args += ["--convert-to", target, "--outdir", str(outdir), *map(str, files)]
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=600,
            # French settings, as the council's computers have.
            env={**os.environ, "LC_ALL": "fr_FR.UTF-8", "LANG": "fr_FR.UTF-8"},
        )
        extension = target.split(":")[0]
        converted = [outdir / f"{f.stem}.{extension}" for f in files]
        missing = [p for p in converted if not p.exists()]
        assert not missing, (missing, result.stdout, result.stderr)
        return converted


def read_fods(path: Path) -> list[list[dict]]:
    """Rows of the first sheet of a flat ODS: each cell's type, value and text."""
    root = ET.parse(path).getroot()
    table = root.find(".//table:table", NS)
    rows = []
    for tr in table.iter(f"{{{NS['table']}}}table-row"):
        cells = []
        for tc in tr.findall("table:table-cell", NS):
            repeat = int(tc.get(f"{{{NS['table']}}}number-columns-repeated", "1"))
            kind = tc.get(f"{{{NS['office']}}}value-type")
            cell = {
                "type": kind,
                "value": tc.get(f"{{{NS['office']}}}value")
                or tc.get(f"{{{NS['office']}}}date-value"),
                "text": "\n".join(
                    "".join(p.itertext()) for p in tc.findall("text:p", NS)
                ),
            }
            cells.extend([cell] * min(repeat, 50))
        while cells and cells[-1]["type"] is None:
            cells.pop()
        if cells:
            rows.append(cells)
    return rows

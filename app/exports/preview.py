"""What the review page shows of an import's analysis, kept between requests.

The analysis runs in a job (``app.exports.jobs``); the page reads this summary
instead of analysing again: the counts, the errors' number and the first rows
(errors first), their values as the page prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from app.exports.importing import Analysis, preview_rows

#: Rows kept for the preview (errors first); the import itself takes them all.
PREVIEW_ROWS = 500


@dataclass
class PreviewRow:
    line: int
    action: str
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    mapping: dict[str, str]
    mapping_errors: list[str]
    ok: bool
    creations: int
    updates: int
    error_count: int
    row_count: int
    rows: list[PreviewRow]

    @classmethod
    def of(cls, analysis: Analysis, mapping: dict[int, str]) -> Preview:
        rows = [
            PreviewRow(
                r.line,
                r.action,
                {k: str(v) for k, v in r.values.items() if v is not None},
                list(r.errors),
            )
            for r in preview_rows(analysis, PREVIEW_ROWS)
        ]
        return cls(
            mapping={str(i): k for i, k in mapping.items()},
            mapping_errors=list(analysis.mapping_errors),
            ok=analysis.ok,
            creations=analysis.creations,
            updates=analysis.updates,
            error_count=len(analysis.errors),
            row_count=len(analysis.rows),
            rows=rows,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Preview:
        data = json.loads(text)
        data["rows"] = [PreviewRow(**r) for r in data["rows"]]
        return cls(**data)

    def matches(self, mapping: dict[int, str]) -> bool:
        """Made for this column mapping (another one needs a new analysis)."""
        return self.mapping == {str(i): k for i, k in mapping.items()}

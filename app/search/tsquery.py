"""PostgreSQL full text: the tsquery of a search and its match on ``search_entry``.

Imported by ``app.search.matching`` and ``engine`` where a PostgreSQL search
is built, never at start-up: the types below load SQLAlchemy's PostgreSQL
dialect (~2.3 MB), which an SQLite process has no use for.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR

from app.search.query import Query, is_number

_VECTOR = sa.literal_column("search_entry.vector", TSVECTOR)


def _config(name: str):
    return sa.literal_column(f"'{name}'", REGCONFIG)


def _tsq(func: str, config: str, text: str):
    return getattr(sa.func, func)(
        _config(config), sa.literal(text, sa.Text), type_=TSQUERY
    )


def _or(a, b):
    return a.op("||", return_type=TSQUERY)(b)


def _and(a, b):
    return a.op("&&", return_type=TSQUERY)(b)


def tsquery(query: Query):
    """Every word (French forms or whole-word prefix), number and phrase, ANDed.

    A word is quoted inside the tsquery text: letters and digits only, it
    cannot close the quote, and a word PostgreSQL splits becomes a phrase.
    """
    parts = []
    for word in query.words:
        if is_number(word):
            parts.append(_tsq("to_tsquery", "cdpl_simple", f"'{word}'"))
        else:
            parts.append(
                _or(
                    _tsq("to_tsquery", "cdpl_french", f"'{word}'"),
                    _tsq("to_tsquery", "cdpl_simple", f"'{word}':*"),
                )
            )
    for phrase in query.phrases:
        parts.append(_tsq("phraseto_tsquery", "cdpl_simple", " ".join(phrase)))
    result = parts[0]
    for part in parts[1:]:
        result = _and(result, part)
    return result


def matches(query: Query):
    """The condition on ``search_entry`` rows whose vector matches ``query``."""
    return _VECTOR.op("@@", return_type=sa.Boolean)(tsquery(query))


def rank(query: Query):
    """ts_rank of a ``search_entry`` row for ``query`` (higher is better)."""
    return sa.func.ts_rank(_VECTOR, tsquery(query))

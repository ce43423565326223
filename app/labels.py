"""French labels of records and fields, read from the models' declarations.

Every layer needs them (screens for column headers, history for diffs, exports for
file headers), so they live beside the models and import nothing but the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipProperty

from app.extensions import db


def model_labels(model) -> dict[str, str]:
    """French labels declared in ``info={"label": ...}`` on columns and relations."""
    labels: dict[str, str] = {}
    mapper = sa.inspect(model)
    for prop in mapper.attrs:
        info = getattr(prop, "info", None) or {}
        label = info.get("label")
        if label is None and hasattr(prop, "columns"):
            label = prop.columns[0].info.get("label")
        if label:
            labels[prop.key] = label
    labels.setdefault("id", "N°")
    return labels


def model_for_table(name: str) -> type | None:
    """The mapped class of table ``name`` (None for a table no model maps)."""
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == name:
            return mapper.class_
    return None


def type_label(name: str, plural: bool = False) -> str:
    """French name of the record type stored in table ``name``."""
    cls = model_for_table(name)
    if cls is None:
        return name
    attr = "__label_plural__" if plural else "__label__"
    return getattr(cls, attr, cls.__name__)


def relationship_for_fk(cls: type, key: str) -> RelationshipProperty | None:
    """The many-to-one relation that foreign-key column ``key`` of ``cls`` serves."""
    mapper = sa.inspect(cls)
    column = mapper.columns.get(key)
    if column is None or not column.foreign_keys:
        return None
    for rel in mapper.relationships:
        if rel.direction.name == "MANYTOONE" and column in rel.local_columns:
            return rel
    return None


def field_label(cls: type, key: str) -> str:
    """French label of a field (a foreign key shows its relation's label)."""
    labels = model_labels(cls)
    if key in labels:
        return labels[key]
    rel = relationship_for_fk(cls, key)
    if rel is not None and rel.key in labels:
        return labels[rel.key]
    return key

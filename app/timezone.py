"""The council's time zone: timestamps are stored in UTC and shown in Paris time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris_time(moment: datetime) -> str:
    """``16/04/2019 à 12:30``: a UTC (or aware) moment in Paris time, in French."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")

"""Row generators of the benchmark data set (fixed seed, French vocabulary)."""

from __future__ import annotations

import random
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from bench import names as n

BATCH = 10_000


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


class Builder:
    """Generates the rows, table by table, with a fixed seed."""

    def __init__(self, conn, counts: dict[str, int], seed: int = 20190416):
        self.conn = conn
        self.counts = counts
        self.rnd = random.Random(seed)
        self.now = datetime(2026, 6, 1, tzinfo=UTC)
        self.stamp = {"created_at": self.now, "updated_at": self.now, "version": 1}
        self.timings: dict[str, float] = {}

    def insert(self, table: sa.Table, rows) -> int:
        started = time.perf_counter()
        total = 0
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self.conn.execute(table.insert(), batch)
                total += len(batch)
                batch = []
        if batch:
            self.conn.execute(table.insert(), batch)
            total += len(batch)
        self.timings[table.name] = time.perf_counter() - started
        return total

    def pick(self, seq):
        return seq[self.rnd.randrange(len(seq))]

    def maybe_id(self, table: str, share: float) -> int | None:
        if self.rnd.random() < share:
            return self.rnd.randint(1, self.counts[table])
        return None

    def run(self) -> None:
        from app import models as m

        c, rnd = self.counts, self.rnd
        self.insert(
            m.College.__table__,
            (
                {"id": i + 1, "name": name, "position": i, **self.stamp}
                for i, name in enumerate(
                    [
                        "Citoyens",
                        "Associations",
                        "Acteurs économiques",
                        "Personnalités qualifiées",
                    ][: c["college"]]
                )
            ),
        )
        org_names: set[str] = set()
        orgs = []
        for i in range(c["organisation"]):
            town = self.pick(n.TOWNS)
            name = f"{self.pick(n.ORG_WORDS)} {self.pick(n.ORG_TOPICS)} de {town}"
            while name in org_names:
                name = f"{name} ({len(org_names)})"
            org_names.add(name)
            kind = self.pick(list(m.OrganisationKind))
            orgs.append(
                {"id": i + 1, "name": name, "kind": kind, "town": town, **self.stamp}
            )
        self.insert(m.Organisation.__table__, orgs)
        self.insert(m.Member.__table__, self.members(m))
        groups = []
        for i in range(c["working_group"]):
            topic = n.GROUP_TOPICS[i % len(n.GROUP_TOPICS)]
            name = topic if i < len(n.GROUP_TOPICS) else f"{topic} — {i + 1}"
            groups.append(
                {
                    "id": i + 1,
                    "name": name,
                    "description": f"Groupe de travail « {topic} » du conseil.",
                    "active": rnd.random() < 0.8,
                    **self.stamp,
                }
            )
        self.insert(m.WorkingGroup.__table__, groups)
        self.insert(m.Membership.__table__, self.memberships(m))
        self.insert(m.Meeting.__table__, self.meetings(m))
        self.insert(m.Attendance.__table__, self.attendances(m))
        self.insert(m.Decision.__table__, self.decisions(m))
        self.insert(m.Plan.__table__, self.plans(m))
        self.insert(m.PlanAction.__table__, self.plan_actions(m))
        self.insert(m.Action.__table__, self.actions(m))
        self.insert(m.Document.__table__, self.documents(m))
        self.insert(m.document_plan_action, self.document_links())
        self.insert(m.Amendment.__table__, self.amendments(m))
        self.insert(m.Indicator.__table__, self.indicators(m))
        self.insert(m.Measurement.__table__, self.measurements(m))

    def members(self, m):
        rnd = self.rnd
        for i in range(1, self.counts["member"] + 1):
            first, last = self.pick(n.FIRST_NAMES), self.pick(n.LAST_NAMES)
            email = None
            if rnd.random() < 0.9:
                email = f"{ascii_slug(first)}.{ascii_slug(last)}.{i}@exemple.fr"
            joined = date(2005, 1, 1) + timedelta(days=rnd.randrange(7000))
            left = None
            if rnd.random() < 0.15:
                left = joined + timedelta(days=rnd.randrange(1, 2000))
            role = rnd.choices(list(m.MemberRole), weights=(80, 8, 1, 3, 8), k=1)[0]
            yield {
                "id": i,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": f"+332970{rnd.randrange(10**5):05d}",
                "organisation_id": self.maybe_id("organisation", 0.6),
                "college_id": rnd.randint(1, self.counts["college"]),
                "town": self.pick(n.TOWNS),
                "role": role,
                "joined_on": joined,
                "left_on": left,
                "notes": None,
                **self.stamp,
            }

    def memberships(self, m):
        per_group = max(self.counts["membership"] // self.counts["working_group"], 1)
        row_id = 0
        for group in range(1, self.counts["working_group"] + 1):
            members = self.rnd.sample(range(1, self.counts["member"] + 1), per_group)
            for k, member in enumerate(members):
                row_id += 1
                since = date(2015, 1, 1) + timedelta(days=self.rnd.randrange(3000))
                yield {
                    "id": row_id,
                    "member_id": member,
                    "group_id": group,
                    "role": m.GroupRole.lead if k == 0 else m.GroupRole.member,
                    "since": since,
                    "until": None,
                    **self.stamp,
                }

    def meetings(self, m):
        rnd = self.rnd
        start = datetime(2000, 1, 3, 8, 0, tzinfo=UTC)
        span_hours = int((self.now - start).total_seconds() // 3600) + 24 * 365
        for i in range(1, self.counts["meeting"] + 1):
            starts = start + timedelta(hours=rnd.randrange(span_hours))
            group = self.maybe_id("working_group", 0.8)
            kind = (
                m.MeetingKind.working_group
                if group
                else self.pick(
                    [m.MeetingKind.bureau, m.MeetingKind.plenary, m.MeetingKind.board]
                )
            )
            if starts > self.now:
                status = m.MeetingStatus.planned
            else:
                status = (
                    m.MeetingStatus.cancelled
                    if rnd.random() < 0.05
                    else m.MeetingStatus.held
                )
            objective = self.pick(n.OBJECTIVES)
            yield {
                "id": i,
                "group_id": group,
                "kind": kind,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "place": self.pick(n.PLACES),
                "objective": objective,
                "author_id": rnd.randint(1, self.counts["member"]),
                "context": f"Réunion n° {i} : {objective.lower()}.",
                "exchanges": (
                    "Tour de table et échanges.\n\n"
                    f"- **Point 1** : {objective}.\n"
                    "- **Point 2** : questions diverses, calendrier à préciser."
                ),
                "status": status,
                "documents_url": f"https://drive.exemple.org/cdpl/reunion-{i}",
                "next_meeting_id": None,
                **self.stamp,
            }

    def attendances(self, m):
        rnd = self.rnd
        statuses = list(m.AttendanceStatus)
        per = max(self.counts["attendance"] // self.counts["meeting"], 1)
        population = range(1, self.counts["member"] + 1)
        row_id = 0
        for meeting in range(1, self.counts["meeting"] + 1):
            for member in rnd.sample(population, per):
                row_id += 1
                yield {
                    "id": row_id,
                    "meeting_id": meeting,
                    "member_id": member,
                    "status": rnd.choices(statuses, weights=(75, 18, 7), k=1)[0],
                    "guest": rnd.random() < 0.03,
                    **self.stamp,
                }

    def decisions(self, m):
        rnd = self.rnd
        for i in range(1, self.counts["decision"] + 1):
            asap = rnd.random() < 0.3
            yield {
                "id": i,
                "meeting_id": (i - 1) % self.counts["meeting"] + 1,
                "text": f"{self.pick(n.ACTION_VERBS)} {self.pick(n.ACTION_OBJECTS)}",
                "due_on": None
                if asap
                else date(2000, 1, 1) + timedelta(days=rnd.randrange(9900)),
                "asap": asap,
                "position": 0,
                **self.stamp,
            }

    def plans(self, m):
        for i in range(1, self.counts["plan"] + 1):
            name, short = n.PLAN_NAMES[(i - 1) % len(n.PLAN_NAMES)]
            yield {
                "id": i,
                "name": name,
                "short_name": short,
                "owner_id": 1,
                "starts_on": date(2018 + i, 1, 1),
                "ends_on": date(2024 + i, 12, 31),
                **self.stamp,
            }

    def plan_actions(self, m):
        # Every action belongs to the first plan: the issue-16 plan page is
        # measured on "the bench's 100× plan" (500 actions, 2,000 indicators).
        for i in range(1, self.counts["plan_action"] + 1):
            yield {
                "id": i,
                "plan_id": 1,
                "number": i,
                "title": f"{self.pick(n.ACTION_VERBS)} {self.pick(n.ACTION_OBJECTS)}",
                "axis": self.pick(n.AXES),
                "budget": Decimal(self.rnd.randrange(1, 300)) * 1000,
                **self.stamp,
            }

    def actions(self, m):
        rnd = self.rnd
        statuses = list(m.ActionStatus)
        for i in range(1, self.counts["action"] + 1):
            asap = rnd.random() < 0.2
            status = rnd.choices(statuses, weights=(30, 20, 45, 5), k=1)[0]
            due = (
                None if asap else date(2000, 1, 1) + timedelta(days=rnd.randrange(9900))
            )
            yield {
                "id": i,
                "title": f"{self.pick(n.ACTION_VERBS)} {self.pick(n.ACTION_OBJECTS)}",
                "description": "Suite à la réunion, voir le compte rendu.",
                "owner_id": rnd.randint(1, self.counts["member"]),
                "group_id": self.maybe_id("working_group", 0.8),
                "meeting_id": self.maybe_id("meeting", 0.9),
                "due_on": due,
                "asap": asap,
                "status": status,
                "done_on": (due or date(2020, 1, 1)) if status.name == "done" else None,
                "plan_action_id": self.maybe_id("plan_action", 0.2),
                **self.stamp,
            }

    def documents(self, m):
        rnd = self.rnd
        kinds, statuses = list(m.DocumentKind), list(m.DocumentStatus)
        for i in range(1, self.counts["document"] + 1):
            kind = self.pick(kinds)
            yield {
                "id": i,
                "title": f"{kind.value} — {self.pick(n.OBJECTIVES)} ({i})",
                "kind": kind,
                "status": self.pick(statuses),
                "url": f"https://drive.exemple.org/cdpl/document-{i}.odt",
                "doc_version": f"v{rnd.randint(1, 5)}",
                "doc_date": date(2000, 1, 1) + timedelta(days=rnd.randrange(9900)),
                "author_id": self.maybe_id("member", 0.9),
                "group_id": self.maybe_id("working_group", 0.7),
                "meeting_id": self.maybe_id("meeting", 0.5),
                "recipients": "Élu·e·s de Lorient Agglomération",
                "public": rnd.random() < 0.4,
                **self.stamp,
            }

    def document_links(self):
        seen: set[tuple[int, int]] = set()
        while len(seen) < self.counts["document_plan_action"]:
            seen.add(
                (
                    self.rnd.randint(1, self.counts["document"]),
                    self.rnd.randint(1, self.counts["plan_action"]),
                )
            )
        for doc, pa in sorted(seen):
            yield {"document_id": doc, "plan_action_id": pa}

    def amendments(self, m):
        rnd = self.rnd
        kinds, statuses = list(m.AmendmentKind), list(m.AmendmentStatus)
        for i in range(1, self.counts["amendment"] + 1):
            yield {
                "id": i,
                "plan_action_id": rnd.randint(1, self.counts["plan_action"]),
                "kind": self.pick(kinds),
                "text": "Favoriser les logiciels libres et les formats ouverts.",
                "rationale": "Proposition issue des échanges du groupe de travail.",
                "proposed_budget": Decimal(rnd.randrange(0, 200)) * 1000,
                "proposed_by_id": rnd.randint(1, self.counts["member"]),
                "meeting_id": self.maybe_id("meeting", 0.7),
                "status": self.pick(statuses),
                **self.stamp,
            }

    def indicators(self, m):
        rnd = self.rnd
        for i in range(1, self.counts["indicator"] + 1):
            yield {
                "id": i,
                "plan_action_id": self.maybe_id("plan_action", 1.0),
                "name": f"{self.pick(n.INDICATOR_NAMES)} n° {i}",
                "description": "Indicateur de suivi défini par le groupe.",
                "unit": self.pick(n.UNITS),
                "baseline": Decimal(rnd.randrange(0, 1000)),
                "target": Decimal(rnd.randrange(0, 2000)),
                "target_on": date(2030, 12, 31),
                "direction": self.pick(list(m.Direction)),
                "source": "Observatoire de l'agglomération",
                **self.stamp,
            }

    def measurements(self, m):
        rnd = self.rnd
        per = max(self.counts["measurement"] // self.counts["indicator"], 1)
        row_id = 0
        for indicator in range(1, self.counts["indicator"] + 1):
            for k in range(per):
                row_id += 1
                year, month = divmod(k, 12)
                yield {
                    "id": row_id,
                    "indicator_id": indicator,
                    "measured_on": date(2020 + year, month + 1, 1),
                    "value": Decimal(rnd.randrange(0, 100000)) / 100,
                    "comment": "Mesure mensuelle." if k % 6 else "Bilan semestriel.",
                    "source": "Tableau de bord de l'agglomération",
                    **self.stamp,
                }

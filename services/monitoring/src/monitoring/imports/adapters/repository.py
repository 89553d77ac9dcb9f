"""List imports, and the one-pass match of a list against the register: the list's people go
into a temporary table (COPY on PostgreSQL) and one join finds, per household with an active
case, the listed person (never a query per row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Date, Integer, String, and_, column, exists, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from monitoring.adapters.orm import register_entry
from monitoring.imports.adapters.orm import list_import
from monitoring.imports.domain.model import ListImport, ListKind, ListRow, RowRejected
from monitoring.warnings.adapters.orm import alert, monitored_case, monitored_person, risk_signal
from monitoring.warnings.adapters.repository import case_from_row
from monitoring.warnings.domain.model import ANTI_POVERTY, AlertStatus, MonitoredCase, Signal

ROWS = "import_list_row"
CHUNK = 5_000
"""Ids per statement when many rows are updated by id."""
DELISTED = "delisted"
"""Why a 防返贫 household's monitoring ended: it is no longer on the list (解除监测)."""
REASON_ANTI_POVERTY = "anti_poverty_list"
"""Why a household entered the register: the rural-revitalisation list (found by monitoring)."""
"""The temporary table of a list's rows (per connection; created and dropped by each match)."""


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    async def find(self, kind: ListKind, region_code: str | None, digest: str) -> ListImport | None:
        row = (
            (
                await self.session.execute(
                    select(list_import).where(
                        list_import.c.kind == kind.value,
                        list_import.c.region_code == (region_code or ""),
                        list_import.c.digest == digest,
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _import(row)

    async def get(self, import_id: UUID) -> ListImport | None:
        query = select(list_import).where(list_import.c.import_id == import_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _import(row)

    async def add(self, item: ListImport) -> None:
        await self.session.execute(
            insert(list_import).values(
                import_id=item.import_id,
                kind=item.kind.value,
                digest=item.digest,
                region_code=item.region_code or "",
                source=item.source,
                rows=item.rows,
                rejected=item.rejected,
                matched=item.matched,
                alerts_raised=item.alerts_raised,
                delisted=item.delisted,
                rejections=[{"line": r.line, "reason": r.reason, "message": r.message} for r in item.rejections],
                imported_by=item.imported_by,
                imported_at=item.imported_at,
            )
        )

    async def match(
        self,
        rows: Sequence[ListRow],
        *,
        region_code: str | None,
        open_rule: str | None,
        recipients_only: bool = False,
        unfiled_only: bool = False,
    ) -> list[tuple[ListRow, MonitoredCase]]:
        """Per household of the register (in the county, if given) with an active case and a
        person on the list, and (when `open_rule` is given) no open alert of that rule: the
        person's row and the household's first active case. `recipients_only`: eligibility's
        cases only (not a 防返贫 household); `unfiled_only`: cases not 单独登记备案."""
        await self._load(rows)
        r = _listed().subquery("r")
        c, p = monitored_case, monitored_person
        where: list[ColumnElement[bool]] = [c.c.active.is_(True)]
        if open_rule is not None:
            where.append(
                ~exists().where(
                    alert.c.household_id == c.c.household_id,
                    alert.c.rule == open_rule,
                    alert.c.status != AlertStatus.CLOSED.value,
                )
            )
        if region_code is not None:
            where.append(c.c.region_code == region_code)
        if recipients_only:
            where.append(c.c.category != ANTI_POVERTY)
        if unfiled_only:
            where.append(c.c.filed.is_(False))
        query = (
            select(r.c.line, r.c.person_ref, r.c.occurred_on, c)
            .select_from(r.join(p, p.c.person_ref == r.c.person_ref).join(c, c.c.household_id == p.c.household_id))
            .where(and_(*where))
            .order_by(c.c.household_id, c.c.opened_on, c.c.case_id)
        )
        found: dict[UUID, tuple[ListRow, MonitoredCase]] = {}
        for m in (await self.session.execute(query)).mappings():
            if m["household_id"] not in found:
                found[m["household_id"]] = (ListRow(m["line"], m["person_ref"], m["occurred_on"]), case_from_row(m))
        await self.session.execute(text(f"drop table {ROWS}"))
        return list(found.values())

    async def _load(self, rows: Sequence[ListRow]) -> None:
        """The list's people into the connection's temporary table (COPY on PostgreSQL)."""
        await self.session.execute(text(f"drop table if exists {ROWS}"))
        await self.session.execute(
            text(f"create temporary table {ROWS} (person_ref varchar(60) primary key, occurred_on date, line integer)")
        )
        if self.dialect == "postgresql":
            connection = await self.session.connection()
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(ROWS, records=[(r.person_ref, r.occurred_on, r.line) for r in rows])
            await raw.execute(f"analyze {ROWS}")
        elif rows:
            await self.session.execute(
                text(f"insert into {ROWS} (person_ref, occurred_on, line) values (:ref, :on, :line)"),  # noqa: S608
                [{"ref": r.person_ref, "on": r.occurred_on, "line": r.line} for r in rows],
            )

    async def households_of(self, rows: Sequence[ListRow]) -> dict[str, UUID]:
        """The register's household of each listed person who is in it (one pass; a person in
        several households: the one with the lowest id)."""
        await self._load(rows)
        r = _listed().subquery("r")
        p = monitored_person
        query = (
            select(p.c.person_ref, p.c.household_id)
            .select_from(r.join(p, p.c.person_ref == r.c.person_ref))
            .order_by(p.c.person_ref, p.c.household_id.desc())
        )
        found = {ref: household for ref, household in await self.session.execute(query)}
        await self.session.execute(text(f"drop table {ROWS}"))
        return found

    async def anti_poverty_case_ids(self, region_code: str | None) -> set[UUID]:
        """The 防返贫 households under monitoring now (in the county, if given), by entry id."""
        c = monitored_case
        query = select(c.c.case_id).where(c.c.category == ANTI_POVERTY, c.c.active.is_(True))
        if region_code is not None:
            query = query.where(c.c.region_code == region_code)
        return {r[0] for r in await self.session.execute(query)}

    async def end_monitoring(self, case_ids: Sequence[UUID], ended_on: date) -> None:
        """These 防返贫 households left the list: their monitoring ends (解除监测)."""
        for start in range(0, len(case_ids), CHUNK):
            await self.session.execute(
                update(monitored_case)
                .where(monitored_case.c.case_id.in_(case_ids[start : start + CHUNK]))
                .values(active=False, ended_on=ended_on, end_reason=DELISTED)
            )

    async def put_under_monitoring(
        self, entries: Sequence[MonitoredCase], members: dict[UUID, set[str]], *, import_id: UUID, now: datetime
    ) -> None:
        """The listed 防返贫 households: each an active entry of the register (again active if it
        was delisted), its members, and a register entry if the household had none."""
        if not entries:
            return
        insert_ = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert_(monitored_case)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["case_id"],
                set_={
                    "region_code": statement.excluded.region_code,
                    "town_code": statement.excluded.town_code,
                    "payee_ref": statement.excluded.payee_ref,
                    "active": True,
                    "ended_on": None,
                    "end_reason": None,
                },
            ),
            [
                {
                    "case_id": e.case_id,
                    "household_id": e.household_id,
                    "category": ANTI_POVERTY,
                    "region_code": e.region_code,
                    "town_code": e.town_code,
                    "payee_ref": e.payee_ref,
                    "support_mode": None,
                    "active": True,
                    "opened_on": e.opened_on,
                    "filed": False,
                }
                for e in entries
            ],
        )
        await self.session.execute(
            insert_(monitored_person).on_conflict_do_nothing(),
            [{"person_ref": ref, "household_id": h} for h, refs in members.items() for ref in sorted(refs)],
        )
        await self.session.execute(
            insert_(register_entry).on_conflict_do_nothing(),
            [
                {
                    "household_id": e.household_id,
                    "region_code": e.region_code,
                    "town_code": e.town_code,
                    "reason": REASON_ANTI_POVERTY,
                    "assistance_types": "",
                    "source_event_id": import_id,
                    "registered_at": now,
                    "updated_at": now,
                    "correlation_id": f"list-import-{import_id}",
                }
                for e in entries
            ],
        )

    async def add_signals(self, signals: Sequence[Signal], now: datetime) -> None:
        if not signals:
            return
        statement = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(risk_signal)
        await self.session.execute(
            statement.on_conflict_do_nothing(),
            [
                {
                    "notice_id": s.notice_id,
                    "household_id": s.household_id,
                    "person_ref": s.person_ref,
                    "kind": s.kind,
                    "occurred_on": s.occurred_on,
                    "received_at": now,
                }
                for s in signals
            ],
        )


def _listed() -> TextualSelect:
    """The temporary table of the list's people, as a selectable."""
    return text(f"select person_ref, occurred_on, line from {ROWS}").columns(  # noqa: S608 (a constant)
        column("person_ref", String), column("occurred_on", Date), column("line", Integer)
    )


def _import(row: Any) -> ListImport:
    return ListImport(
        import_id=row["import_id"],
        kind=ListKind(row["kind"]),
        digest=row["digest"],
        region_code=row["region_code"] or None,
        source=row["source"],
        rows=row["rows"],
        rejected=row["rejected"],
        matched=row["matched"],
        alerts_raised=row["alerts_raised"],
        imported_by=row["imported_by"],
        imported_at=row["imported_at"],
        rejections=tuple(RowRejected(r["line"], r["reason"], r["message"]) for r in row["rejections"]),
        delisted=row["delisted"],
    )

"""Response bodies of list imports (no personal data: counts, and rejected rows by line)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from monitoring.imports.domain.model import ListImport


class RejectedRow(BaseModel):
    line: int = Field(description="The row's line in the file (the header is line 1)")
    reason: str
    message: str


class ImportRead(BaseModel):
    import_id: UUID
    kind: str
    region_code: str | None = Field(description="The county matched in; null for the whole city")
    source: str
    digest: str = Field(description="SHA-256 of the file: the same file again is this import")
    rows: int = Field(description="Data rows read")
    rejected: int = Field(description="Rows refused (bad resident ID, date), listed in `rejections` (first 100)")
    matched: int = Field(
        description="Households of the register with an active case and a listed person (防返贫: households listed)"
    )
    alerts_raised: int
    delisted: int = Field(description="防返贫 lists: households of the earlier list no longer on it (monitoring ended)")
    imported_by: str
    imported_at: datetime
    rejections: list[RejectedRow]

    @classmethod
    def of(cls, item: ListImport) -> ImportRead:
        return cls(
            import_id=item.import_id,
            kind=item.kind.value,
            region_code=item.region_code,
            source=item.source,
            digest=item.digest,
            rows=item.rows,
            rejected=item.rejected,
            matched=item.matched,
            alerts_raised=item.alerts_raised,
            delisted=item.delisted,
            imported_by=item.imported_by,
            imported_at=item.imported_at,
            rejections=[RejectedRow(line=r.line, reason=r.reason, message=r.message) for r in item.rejections],
        )

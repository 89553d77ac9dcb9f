"""Payment service settings (env prefix `PAYMENT_`)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_platform.settings import ServiceSettings


class DebtorAccount(BaseModel):
    """付款账户: a county civil-affairs bureau's paying account (the bank file's debtor)."""

    name: str = Field(min_length=1, max_length=140)
    account: str = Field(pattern=r"^\d{8,30}$")
    cnaps: str = Field(pattern=r"^\d{12}$", description="The paying bank's 联行号")
    bank_name: str = Field(default="", max_length=140)


DEV_DEBTOR = DebtorAccount(
    name="县（区）民政局社会救助资金专户（演示）",
    account="6222020200112345679",
    cnaps="102701000019",
    bank_name="中国工商银行贵阳分行（演示）",
)
"""The demo's paying account for every county (dev only: production names each county's)."""


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", env_file=".env", extra="ignore")

    payroll_page_size: int = Field(
        default=10_000,
        ge=1,
        le=100_000,
        description="Entitlements per calculation page, a transaction each (see payroll.service.PAGE)",
    )
    payroll_workers: int = Field(
        default=2, ge=1, le=16, description="Calculation pages made at once on PostgreSQL, each on its own connection"
    )
    bankfile_processes: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Processes a large bank file is written by (parts by account, joined in order); 1: the API's alone",
    )
    debtors: dict[str, DebtorAccount] = Field(
        default_factory=dict,
        description='Each county paying account (JSON: {"520102": {"name": ..., "account": ..., "cnaps": ...}})',
    )

    def debtor_of(self, county_code: str) -> DebtorAccount | None:
        """The county's paying account; the demo one in dev when none is configured."""
        found = self.debtors.get(county_code)
        if found is None and self.env == "dev":
            return DEV_DEBTOR
        return found

"""The Danish pages (server-rendered, plain HTML forms): one router made of the page modules."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rammeaftale.entrypoints.deps import integers_in_range
from rammeaftale.entrypoints.web import (
    pages_account,
    pages_accounts,
    pages_appendix,
    pages_ata,
    pages_auth,
    pages_billing,
    pages_changeover,
    pages_cycle,
    pages_financing,
    pages_offers,
    pages_placements,
    pages_refunds,
    pages_reserves,
    pages_submissions,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(integers_in_range)])
PAGES = (
    pages_auth,
    pages_account,
    pages_offers,
    pages_submissions,
    pages_cycle,
    pages_appendix,
    pages_ata,
    pages_accounts,
    pages_reserves,
    pages_placements,
    pages_billing,
    pages_financing,
    pages_refunds,
    pages_changeover,
)
for module in PAGES:
    router.include_router(module.router)

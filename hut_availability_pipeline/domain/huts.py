"""A hut as a provider needs to know it: `HutRef`. Plain values, no hut-services import, so that
commands which only list or select huts (`huts list`, the priority selection) start quickly."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HutRef"]


@dataclass(frozen=True)
class HutRef:
    """What a provider needs to know about a hut to fetch and map its bookings.

    `hut_type_open`/`hut_type_closed` are values of hut-services' `HutTypeEnum` (as the `huts`
    table stores them; `huts load` checks them): the hut's type when open and when closed. A
    provider's parser turns them into the enum once per hut.
    """

    hut_id: int
    slug: str
    source: str
    source_hut_id: str
    hut_type_open: str = "hut"
    hut_type_closed: str = "selfhut"
    source_organization_id: int | None = None

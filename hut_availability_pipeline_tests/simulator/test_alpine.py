"""The simulator's TMB refuges fill and churn like the real 2024 season (simulator/alpine.py): a
third of refuge-nights at 0 free 180 days ahead, about half from 120 days, and a night at 0 shows
a free place the next day 0.83 % of the time."""

from __future__ import annotations

import datetime as dt

from hut_availability_pipeline.simulator.alpine import TmbSite, tmb_refuge_ids
from hut_availability_pipeline.simulator.faults import FaultConfig

NIGHTS = [dt.date(2027, 7, 1) + dt.timedelta(days=k) for k in range(61)]  # June..July as the real data


def test_refuge_nights_sell_out_and_churn_like_the_real_2024_season() -> None:
    site = TmbSite(1, tmb_refuge_ids(), FaultConfig())
    ids = site.refuge_ids()

    def zero_share(lead: int) -> float:
        seen = [site.free(r, n, n - dt.timedelta(days=lead)) for r in ids for n in NIGHTS]
        open_nights = [f for f in seen if f is not None]
        return sum(f == 0 for f in open_nights) / len(open_nights)

    at_180, at_120 = zero_share(180), zero_share(120)
    zeros = reopened = 0
    for r in ids:
        for n in NIGHTS:
            for lead in range(1, 120, 4):  # a sample of the days before the night (each with its next day)
                today = n - dt.timedelta(days=lead)
                if site.free(r, n, today) == 0:
                    zeros += 1
                    reopened += (site.free(r, n, today + dt.timedelta(days=1)) or 0) > 0
    print(f"\nsimulated TMB: at 0 free 180 d ahead {at_180:.1%}, 120 d ahead {at_120:.1%},"
          f" a 0 night free the next day {reopened / zeros:.2%} ({zeros} zero refuge-night-days)")  # fmt: skip
    assert 0.28 < at_180 < 0.39
    assert 0.45 < at_120 < 0.56
    assert 0.006 < reopened / zeros < 0.011

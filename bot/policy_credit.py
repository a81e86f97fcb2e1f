"""The policy's `[credit]` section: the risk bands and what each band does.

A band covers the risk scores (0 = no risk, 100 = the worst; bot/credit/score.py) up to its
`up_to`, in the order the bands are written, best first; the last band reaches 100. What a band
does to a debtor in it:

- `start_days_earlier`: the overdue steps of the cadence come this many days sooner (never
  before the first day past the due date: an overdue reminder needs an overdue invoice);
- `firmer_template`: reminders carry the firmer wording (`firm` in the reminder's context);
- `offer_discount = false`: no early-payment discount is offered;
- `auto_plans = false`: no plan is approved without staff, whatever its amount.

A debtor not scored yet (`Debtor.risk_band` empty) is in no band: nothing changes for them.
Plain data, no database: bot/policy.py holds it as `Policy.credit`.
"""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, field_validator

MAX_POINTS = 100


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Short: it is stored on the debtor (Debtor.risk_band, 8 characters).
    name: str = Field(pattern=r"^[A-Za-z0-9_]{1,8}$")
    up_to: int = Field(ge=0, le=MAX_POINTS)  # the highest score in this band
    start_days_earlier: int = Field(default=0, ge=0, le=60)
    firmer_template: StrictBool = False  # true or false, as TOML writes them
    offer_discount: StrictBool = True
    auto_plans: StrictBool = True


DEFAULT_BANDS = (
    Band(name="A", up_to=24),
    Band(name="B", up_to=49),
    Band(name="C", up_to=74, start_days_earlier=3, offer_discount=False),
    Band(
        name="D",
        up_to=100,
        start_days_earlier=7,
        firmer_template=True,
        offer_discount=False,
        auto_plans=False,
    ),
)

# The effects of no band (a debtor not scored yet): none.
NO_BAND = Band(name="none", up_to=MAX_POINTS)


class Credit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bands: tuple[Band, ...] = Field(default=DEFAULT_BANDS, min_length=1)
    # name -> band, for `band_named` (planning asks once per debtor).
    _by_name: dict[str, Band] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self._by_name.update({band.name: band for band in self.bands})

    @field_validator("bands")
    @classmethod
    def _ordered(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        names = [band.name for band in bands]
        if len(set(names)) != len(names):
            raise ValueError("band names must be distinct")
        limits = [band.up_to for band in bands]
        if any(later <= earlier for earlier, later in itertools.pairwise(limits)):
            raise ValueError("up_to must grow from one band to the next (best band first)")
        if limits[-1] != MAX_POINTS:
            raise ValueError(f"the last band must reach up_to = {MAX_POINTS}")
        return bands

    def band_for(self, points: int) -> Band:
        """The band of a score (0..100)."""
        return next((band for band in self.bands if points <= band.up_to), self.bands[-1])

    def band_named(self, name: str) -> Band:
        """A stored band's effects; NO_BAND for a debtor not scored (or a band since removed)."""
        return self._by_name.get(name, NO_BAND)

    def rank(self, name: str) -> int:
        """0 for the best band, more for worse ones; -1 for no band."""
        return next((i for i, band in enumerate(self.bands) if band.name == name), -1)

    def worse(self, before: str, after: str) -> bool:
        """Whether `after` is a worse band than `before` (a first scoring is not a move)."""
        return self.rank(before) >= 0 and self.rank(after) > self.rank(before)


def describe_bands(credit: Credit) -> list[str]:
    """The bands as `policy check` prints them: the scores each covers and what it does."""
    lines = ["Risk bands (score 0-100, docs/credit-score.md):"]
    low = 0
    for band in credit.bands:
        effects = [
            f"reminders {band.start_days_earlier} days sooner" if band.start_days_earlier else "",
            "firmer wording" if band.firmer_template else "",
            "" if band.offer_discount else "no discount",
            "" if band.auto_plans else "every plan to staff",
        ]
        said = "; ".join(effect for effect in effects if effect) or "no change"
        lines.append(f"  {band.name}: {low}-{band.up_to}, {said}")
        low = band.up_to + 1
    return lines

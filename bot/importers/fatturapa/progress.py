"""The progress of a long FatturaPA import on a terminal (tqdm): files read, invoices found,
problems so far. Quiet when stderr is not a terminal (a cron job, a pipe, the tests)."""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm


class Progress:
    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar = (
            tqdm(total=total, unit="file", file=sys.stderr, desc="FatturaPA", mininterval=0.5)
            if enabled
            else None
        )
        self.invoices = 0

    def step(self, invoices: int, problems: int) -> None:
        self.invoices += invoices
        if self._bar is not None:
            self._bar.set_postfix(invoices=self.invoices, errors=problems, refresh=False)
            self._bar.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()

"""What an import found and did: the problems (file:line: column: reason) and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One reason a file cannot be imported. line is the physical line (the header is line 1)."""

    file: str
    line: int  # 0 when the problem concerns the whole file (unreadable, wrong encoding)
    column: str  # the header as the file writes it; "" when no single column is at fault
    reason: str

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.column:
            where += f": {self.column}"
        return f"{where}: {self.reason}"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def render(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportReport:
    files: list[str]
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    debtors: Tally = field(default_factory=Tally)
    contact_points: Tally = field(default_factory=Tally)
    invoices: Tally = field(default_factory=Tally)
    credit_notes: list[str] = field(default_factory=list)  # staff alerted (bot/credit/alerts.py)
    credit_note_lines: list[str] = field(default_factory=list)  # bot/payments/credit_notes.py

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        tallies = (self.debtors, self.contact_points, self.invoices)
        return any(tally.created or tally.updated for tally in tallies)

    def render(self) -> str:
        lines = [f"import of {', '.join(self.files)}"]
        if self.problems:
            bad_rows = len({(problem.file, problem.line) for problem in self.problems})
            lines.append(
                f"refused: {len(self.problems)} problem(s) in {bad_rows} row(s) or header(s); "
                "nothing was written"
            )
            lines.extend(problem.render() for problem in sorted(self.problems))
            return "\n".join(lines)
        lines.append(f"debtors:        {self.debtors.render()}")
        lines.append(f"contact points: {self.contact_points.render()}")
        lines.append(f"invoices:       {self.invoices.render()}")
        if self.dry_run:
            lines.append("dry run: the files are valid; nothing was written")
        lines.extend(self.credit_note_lines)
        lines.extend(f"staff alerted, {note}" for note in self.credit_notes)
        return "\n".join(lines)

"""The debtor import's `kind` column: business or consumer; a VAT number means a business when
the column is absent; a value it does not know is refused with the line."""

from __future__ import annotations

from pathlib import Path

from bot.models import Debtor, DebtorKind
from tests.importers.test_import import rendered_problems, run, write


async def kinds() -> dict[str, DebtorKind]:
    return dict(await Debtor.all().values_list("external_ref", "kind"))


async def test_the_kind_column_in_english_and_italian(db: str, tmp_path: Path) -> None:
    debtors = write(
        tmp_path / "d.csv",
        "codice_cliente,ragione_sociale,partita_iva,tipo",
        "C1,Rossi S.r.l.,IT01234560153,azienda",
        "C2,Mario Bianchi,,consumatore",
        "C3,Studio Verdi,,Business",
        "C4,Anna Neri,IT09999999999,privato",
    )
    report = await run(debtors)
    assert report.problems == []
    assert await kinds() == {
        "C1": DebtorKind.BUSINESS, "C2": DebtorKind.CONSUMER,
        "C3": DebtorKind.BUSINESS, "C4": DebtorKind.CONSUMER,
    }  # fmt: skip


async def test_without_the_column_a_vat_number_means_a_business(db: str, tmp_path: Path) -> None:
    first = write(
        tmp_path / "d.csv",
        "external_ref,name,vat_number",
        "C1,Rossi S.r.l.,IT01234560153",
        "C2,Mario Bianchi,",
    )
    await run(first)
    assert await kinds() == {"C1": DebtorKind.BUSINESS, "C2": DebtorKind.CONSUMER}
    # Re-imported without a VAT number nor the column: what is stored stays.
    again = write(tmp_path / "e.csv", "external_ref,name", "C1,Rossi S.r.l.", "C2,Mario Bianchi")
    await run(again)
    assert await kinds() == {"C1": DebtorKind.BUSINESS, "C2": DebtorKind.CONSUMER}
    # A VAT number given later makes a business; the column says otherwise when it must.
    later = write(tmp_path / "f.csv", "external_ref,name,vat_number,kind",
                  "C2,Mario Bianchi,IT07777777777,", "C1,Rossi S.r.l.,,consumer")  # fmt: skip
    await run(later)
    assert await kinds() == {"C1": DebtorKind.CONSUMER, "C2": DebtorKind.BUSINESS}


async def test_an_unknown_kind_is_refused_with_the_line(db: str, tmp_path: Path) -> None:
    debtors = write(tmp_path / "d.csv", "external_ref,name,kind", "C1,Rossi S.r.l.,ente")
    report = await run(debtors)
    assert rendered_problems(report) == [
        f"{debtors}:2: kind: 'ente' is not business or consumer (azienda, consumatore)"
    ]
    assert await Debtor.all().count() == 0

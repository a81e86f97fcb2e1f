"""examples/fatturapa/sdi-export-2026-11.zip, the demo's SdI export: how it was made.

    PYTHONPATH=. .venv/bin/python -m tests.support.fatturapa_examples

Three files in nested folders: an ordinary invoice to Ferrari Logistica (C004 in
examples/debtors.csv, matched by its VAT number), a signed .xml.p7m with a three-instalment
invoice to a new customer, and a credit note (TD04) that reduces the first invoice.
tests/importers/test_fatturapa_examples.py checks the committed archive holds exactly these.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from tests.support.fatturapa_xml import Body, Buyer, Payment, invoice_xml
from tests.support.p7m_signing import sign_p7m

EXAMPLE_ZIP = (
    Path(__file__).resolve().parents[2] / "examples" / "fatturapa" / "sdi-export-2026-11.zip"
)
FERRARI = Buyer(
    vat="04567890180",
    name="Ferrari Logistica S.p.A.",
    street="Via dell'Industria",
    number="22",
    postcode="40138",
    city="Bologna",
    province="BO",
    pec="ferrari-logistica@pec.example",
)
VERDI = Buyer(
    vat="05678901231",
    name="Verdi Impianti S.r.l.",
    street="Corso Vittorio Emanuele II",
    number="145",
    postcode="10138",
    city="Torino",
    province="TO",
    pec="verdi-impianti@pec.example",
)
IBAN = "IT60X0542811101000000123456"
SIGNED_AT = dt.datetime(2026, 11, 10, 9, 30, tzinfo=dt.UTC)


def example_files() -> dict[str, bytes]:
    """The archive's members as XML (the .p7m's signed content, before signing)."""
    ordinary = Body(
        "FPR 101/2026",
        dt.date(2026, 11, 2),
        "2000.00",
        description="Trasporto merci ottobre 2026",
        payments=(Payment("2440.00", dt.date(2026, 12, 2), iban=IBAN),),
    )
    instalments = Body(
        "FPR 102/2026",
        dt.date(2026, 11, 5),
        "3000.00",
        description="Impianto di climatizzazione, fornitura e posa",
        payments=(
            Payment("1220.00", dt.date(2026, 11, 20), method="MP12", iban=""),
            Payment("1220.00", dt.date(2026, 12, 20), method="MP12", iban=""),
            Payment("1220.00", dt.date(2027, 1, 20), method="MP12", iban=""),
        ),
    )
    credit_note = Body(
        "NC 7/2026",
        dt.date(2026, 11, 9),
        "500.00",
        kind="TD04",
        linked="FPR 101/2026",
        description="Storno parziale: merce resa",
    )
    return {
        "2026/11/fatture/IT01879020517_00101.xml": invoice_xml(
            [ordinary], FERRARI, progressive="00101"
        ),
        "2026/11/fatture/IT01879020517_00102.xml.p7m": invoice_xml(
            [instalments], VERDI, progressive="00102"
        ),
        "2026/11/note di credito/IT01879020517_00103.xml": invoice_xml(
            [credit_note], FERRARI, progressive="00103"
        ),
    }


def build_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in example_files().items():
            data = sign_p7m(xml, signing_time=SIGNED_AT) if name.endswith(".p7m") else xml
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 10, 9, 30, 0)), data)
    return buffer.getvalue()


if __name__ == "__main__":
    EXAMPLE_ZIP.parent.mkdir(parents=True, exist_ok=True)
    EXAMPLE_ZIP.write_bytes(build_zip())
    print(f"wrote {EXAMPLE_ZIP}")

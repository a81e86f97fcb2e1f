"""The export package a collection agency or a lawyer takes: VAR_DIR/handoff/<REF>-<time>/ and
the same as a .zip beside it.

    debtor.json      the debtor, its contact points, the hand-off (who, when) and the figures
    invoices.csv     every invoice: number, dates, amount, paid, discount, still owed, status
    payments.csv     every payment and what it paid (allocations)
    messages.csv     the message log: every message sent or received, channel, status, text
    receipts.csv     the PEC receipts: kind, time, recipient, identifier, file
    case/            copies of the case folder (the formal notices' PDFs, the receipts' .eml)
    README.txt       what is in it and the figures (templates/<lang>/case/handoff_readme.txt)

Written into a temporary folder and renamed when complete: nothing half-written is left."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.escalation.handoff_figures import CaseFigures
from bot.models import (
    ContactPoint,
    Debtor,
    Invoice,
    Message,
    Payment,
    PaymentAllocation,
    PecReceipt,
)
from bot.texts import render

HANDOFF_DIR = "handoff"


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if row.get(key) is None else row[key] for key in columns})
    return out.getvalue()


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


async def _invoices_csv(invoices: list[Invoice]) -> str:
    columns = [
        "number",
        "issue_date",
        "due_date",
        "currency",
        "amount_cents",
        "paid_cents",
        "discount_cents",
        "balance_cents",
        "status",
        "description",
    ]
    rows = [
        {
            **{c: getattr(i, c, "") for c in columns if c != "balance_cents"},
            "issue_date": _iso(i.issue_date),
            "due_date": _iso(i.due_date),
            "status": i.status.value,
            "balance_cents": i.balance_cents,
        }
        for i in invoices
    ]
    return _csv(rows, columns)


async def _payments_csv(payments: list[Payment], numbers: dict[int, str]) -> str:
    allocations = await PaymentAllocation.filter(payment_id__in=[p.id for p in payments])
    paid: dict[int, list[str]] = {}
    for a in allocations:
        number = numbers.get(a.invoice_id, str(a.invoice_id))  # type: ignore[attr-defined]
        paid.setdefault(a.payment_id, []).append(f"{number}:{a.amount_cents}")  # type: ignore[attr-defined]
    columns = [
        "received_at",
        "amount_cents",
        "currency",
        "method",
        "status",
        "provider_ref",
        "unallocated_cents",
        "allocations",
    ]
    rows = [
        {
            "received_at": _iso(p.received_at),
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "method": p.method.value,
            "status": p.status.value,
            "provider_ref": p.provider_ref,
            "unallocated_cents": p.unallocated_cents,
            "allocations": " ".join(paid.get(p.id, [])),
        }
        for p in payments
    ]
    return _csv(rows, columns)


async def _messages_csv(debtor: Debtor) -> str:
    messages = await Message.filter(debtor_id=debtor.id).order_by("created_at", "id")
    columns = [
        "id",
        "created_at",
        "sent_at",
        "direction",
        "audience",
        "channel",
        "template",
        "step",
        "status",
        "provider_id",
        "last_error",
        "body",
    ]
    rows = [
        {
            "id": m.id,
            "created_at": _iso(m.created_at),
            "sent_at": _iso(m.sent_at),
            "direction": m.direction.value,
            "audience": m.audience,
            "channel": m.channel.value if m.channel else "",
            "template": m.template,
            "step": m.step,
            "status": m.status.value,
            "provider_id": m.provider_id,
            "last_error": m.last_error,
            "body": m.body,
        }
        for m in messages
    ]
    return _csv(rows, columns)


async def _receipts_csv(debtor: Debtor) -> str:
    receipts = await PecReceipt.filter(debtor_id=debtor.id).order_by("issued_at", "id")
    columns = [
        "kind",
        "issued_at",
        "recipient",
        "identificativo",
        "message_id",
        "error",
        "error_text",
        "file",
    ]
    rows = [
        {
            "kind": r.kind,
            "issued_at": _iso(r.issued_at),
            "recipient": r.recipient,
            "identificativo": r.identificativo,
            "message_id": r.message_id,  # type: ignore[attr-defined]
            "error": r.error,
            "error_text": r.error_text,
            "file": Path(r.eml_path).name,
        }
        for r in receipts
    ]
    return _csv(rows, columns)


async def _debtor_json(debtor: Debtor, figures: CaseFigures) -> str:
    points = await ContactPoint.filter(debtor_id=debtor.id).order_by("priority", "id")
    data = {
        "external_ref": debtor.external_ref,
        "name": debtor.name,
        "vat_number": debtor.vat_number,
        "tax_code": debtor.tax_code,
        "language": debtor.language,
        "contacts": [
            {
                "channel": p.channel.value,
                "address": p.address,
                "is_pec": p.is_pec,
                "opted_out": p.opted_out_at is not None,
            }
            for p in points
        ],
        "outsourced_at": _iso(debtor.outsourced_at),
        "outsourced_by": debtor.outsourced_by,
        "figures": {
            k: _iso(v) if hasattr(v, "isoformat") else v for k, v in asdict(figures).items()
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


async def write_package(
    var_dir: Path,
    debtor: Debtor,
    case_dir: Path,
    figures: CaseFigures,
    *,
    invoices: list[Invoice],
    payments: list[Payment],
    language: str,
    company: str,
    handed_on: dt.date,
) -> tuple[Path, Path]:
    """Write the package folder and its zip; (folder, zip)."""
    stamp = debtor.outsourced_at.strftime("%Y%m%d-%H%M%S") if debtor.outsourced_at else "now"
    root = var_dir / HANDOFF_DIR
    final = root / f"{case_dir.name}-{stamp}"
    for n in range(2, 1000):  # a package written before at the same second (a demo run again)
        if not final.exists() and not final.with_suffix(".zip").exists():
            break
        final = root / f"{case_dir.name}-{stamp}-{n}"
    partial = root / f".{final.name}.part"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    numbers = {i.id: i.number for i in invoices}
    files = {
        "debtor.json": await _debtor_json(debtor, figures),
        "invoices.csv": await _invoices_csv(invoices),
        "payments.csv": await _payments_csv(payments, numbers),
        "messages.csv": await _messages_csv(debtor),
        "receipts.csv": await _receipts_csv(debtor),
    }
    for name, text in files.items():
        (partial / name).write_text(text, encoding="utf-8")
    copied = []
    if case_dir.is_dir():
        shutil.copytree(case_dir, partial / "case")
        copied = sorted(
            str(p.relative_to(partial)) for p in (partial / "case").rglob("*") if p.is_file()
        )
    readme = render(
        "case/handoff_readme.txt",
        language,
        debtor=debtor,
        figures=figures,
        files=[*files, *copied],
        company=company,
        handed_on=handed_on,
    )
    (partial / "README.txt").write_text(readme + "\n", encoding="utf-8")
    partial.rename(final)
    archive = final.with_suffix(".zip")
    with zipfile.ZipFile(archive.with_suffix(".zip.part"), "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(final.rglob("*")):
            if path.is_file():
                zf.write(path, f"{final.name}/{path.relative_to(final)}")
    archive.with_suffix(".zip.part").replace(archive)
    return final, archive

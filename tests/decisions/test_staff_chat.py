"""The staff chat end to end: staff press buttons and type commands in the staff group, the updates
reach our webhook (uvicorn, real secret) and python-telegram-bot, the answers go to the fake Bot API
(tests/providers/telegram/fake_telegram.py); the effects are checked in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.conversations.store import get_state, set_state
from bot.handlers.staff_buttons import parse_button
from bot.handlers.staff_commands import parse_pause_args
from bot.models import (
    AuditEvent,
    Channel,
    ClaimStatus,
    ContactPoint,
    Debtor,
    Direction,
    DiscountRequest,
    Dispute,
    DisputeReason,
    DisputeStatus,
    Instalment,
    Invoice,
    InvoiceStatus,
    Message,
    MessageStatus,
    PayLink,
    Payment,
    PaymentClaim,
    PaymentPlan,
    PlanStatus,
    RequestStatus,
    StaffMember,
    StaffRole,
)
from bot.providers.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bot.runtime import Runtime
from bot.staff_reports import aging, debtor_report, overdue_report, plan_report
from bot.texts import render
from bot.web import create_app
from scheduler.dispatch import Dispatcher
from scheduler.outbox_record import DispatchOutcome
from tests.providers.telegram.fake_telegram import BOT_ID, FakeTelegram
from tests.providers.telegram.telegram_app import (
    SECRET,
    STAFF_CHAT,
    fake_telegram,
    live_runtime,
    telegram_settings,
)
from tests.providers.telegram.telegram_updates import DATE, button_update, message_update
from tests.support.live_server import serve

DEBTOR_CHAT = 1001
ANNA, MARCO, STRANGER = 501, 502, 599
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
CARD = "Richiesta di piano"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as server:
        yield server


@pytest.fixture
def staff_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    return telegram_settings(settings, fake, default_language="it")


@pytest.fixture
async def runtime(staff_settings: Settings, db: str) -> AsyncIterator[Runtime]:
    async with live_runtime(staff_settings, NOW) as runtime:
        yield runtime


@pytest.fixture
async def app_url(runtime: Runtime) -> AsyncIterator[str]:
    async with serve(create_app(runtime)) as url:
        yield url


@pytest.fixture
async def staff(db: str) -> dict[str, StaffMember]:
    anna = await StaffMember.create(
        telegram_user_id=ANNA, name="Anna", role=StaffRole.ADMIN, approval_limit_cents=10_000_000
    )
    marco = await StaffMember.create(
        telegram_user_id=MARCO, name="Marco", approval_limit_cents=50_000
    )
    return {"anna": anna, "marco": marco}


async def debtor_texts(runtime: Runtime, fake: FakeTelegram) -> list[str]:
    """What the debtor's chat shows once the outbox has sent what is due: a staff decision is a
    proactive message, queued for the debtor's contact window (scheduler/proactive.py)."""
    await Dispatcher(runtime).drain()
    return fake.texts_to(DEBTOR_CHAT)


_update_ids = iter(range(10_000, 100_000))


def _group() -> dict[str, Any]:
    return {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff"}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": "it"}


def staff_press(user_id: int, data: str, *, message_id: int = 40) -> dict[str, Any]:
    update_id = next(_update_ids)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": _user(user_id),
            "chat_instance": "ci-staff",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": DATE,
                "chat": _group(),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"},
                "text": CARD,
            },
        },
    }


def staff_says(user_id: int, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
    update_id = next(_update_ids)
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": DATE,
        "chat": _group(),
        "from": _user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        message["reply_to_message"] = {
            "message_id": reply_to,
            "date": DATE,
            "chat": _group(),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sollecito"},
            "text": "inoltrato",
        }
    return {"update_id": update_id, "message": message}


async def post(url: str, update: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200


def answers(fake: FakeTelegram) -> list[str]:
    return [
        str(call.params.get("text", "")).replace("\xa0", " ")
        for call in fake.calls_to("answerCallbackQuery")
    ]


def staff_texts(fake: FakeTelegram) -> list[str]:
    return [text.replace("\xa0", " ") for text in fake.texts_to(STAFF_CHAT)]


async def make_debtor(ref: str = "C042", name: str = "Rossi Impianti S.r.l.") -> Debtor:
    debtor = await Debtor.create(external_ref=ref, name=name, language="it")
    await ContactPoint.create(
        debtor=debtor, channel=Channel.TELEGRAM, address=str(DEBTOR_CHAT), verified_at=NOW
    )
    return debtor


async def make_invoice(
    debtor: Debtor, number: str, cents: int, days_overdue: int, **fields: Any
) -> Invoice:
    due = TODAY - dt.timedelta(days=days_overdue)
    return await Invoice.create(
        number=number,
        debtor=debtor,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        amount_cents=cents,
        **fields,
    )


async def pending_plan(count: int = 3) -> tuple[Debtor, Invoice, PaymentPlan]:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-0042", 300_000, 20)
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=300_000,
        instalment_count=count,
        first_due_date=TODAY,
        invoice_ids=[invoice.id],
    )
    return debtor, invoice, plan


async def audit(action: str) -> list[AuditEvent]:
    return await AuditEvent.filter(action=action).order_by("id")


# --- plans -----------------------------------------------------------------------------------


async def test_approve_pending_plan(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor, invoice, plan = await pending_plan()

    await post(app_url, staff_press(ANNA, f"plan:approve:{plan.id}"))

    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.ACTIVE
    assert plan.decided_by_id == staff["anna"].id  # type: ignore[attr-defined]
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.IN_PLAN
    assert await Instalment.filter(plan_id=plan.id).count() == 3
    link = await PayLink.get(debtor_id=debtor.id, purpose="instalment")
    [to_debtor] = await debtor_texts(runtime, fake)
    assert "1.000,00" in to_debtor.replace("\xa0", " ") and f"/pay/{link.token}" in to_debtor
    assert answers(fake) == ["✅ Approvato da Anna"]
    [edit] = fake.calls_to("editMessageText")
    assert edit.params["chat_id"] == str(STAFF_CHAT) and edit.params["message_id"] == "40"
    assert edit.params["text"] == f"{CARD}\n\n✅ Approvato da Anna"
    assert "inline_keyboard" not in str(edit.params.get("reply_markup", ""))
    [event] = await audit("plan.approved")
    assert event.actor == f"staff:{staff['anna'].id}"


async def test_second_press_answers_already_decided(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    _, _, plan = await pending_plan()
    await post(app_url, staff_press(ANNA, f"plan:reject:{plan.id}"))
    await post(app_url, staff_press(ANNA, f"plan:approve:{plan.id}"))

    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.REJECTED
    assert answers(fake) == ["❌ Rifiutato da Anna", "Già deciso da Anna."]
    assert [m for m in (await debtor_texts(runtime, fake))] == [
        render("flows/plan/rejected.txt", "it")
    ]
    assert len(await audit("plan.approve.already_decided")) == 1


async def test_limit_too_low_is_refused(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    _, _, plan = await pending_plan()
    await post(app_url, staff_press(MARCO, f"plan:approve:{plan.id}"))

    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL
    assert answers(fake) == ["Non può decidere: 3.000,00 € supera il suo limite di approvazione."]
    assert fake.calls_to("answerCallbackQuery")[0].params["show_alert"] == "true"
    assert not fake.calls_to("editMessageText") and fake.texts_to(DEBTOR_CHAT) == []
    [event] = await audit("plan.approve.refused")
    assert event.actor == f"staff:{staff['marco'].id}" and event.data["reason"] == "limit"


async def test_unregistered_user_is_refused(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    _, _, plan = await pending_plan()
    await post(app_url, staff_press(STRANGER, f"plan:approve:{plan.id}"))
    await post(app_url, staff_says(STRANGER, "/overdue"))

    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL
    refusal = render("staff/not_staff.txt", "it")
    assert answers(fake) == [refusal]
    assert staff_texts(fake) == [refusal]
    events = await audit("staff.refused")
    assert [e.actor for e in events] == [f"telegram:{STRANGER}"] * 2
    # The press never reached the debtor flows: nothing stored as an inbound debtor message.
    assert not await Message.filter(direction=Direction.INBOUND).exists()


async def test_counter_with_another_count_then_the_debtor_accepts(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor, invoice, plan = await pending_plan(count=6)
    await post(app_url, staff_press(ANNA, f"plan:counter:{plan.id}"))
    [markup] = fake.calls_to("editMessageReplyMarkup")
    assert f"plan:counter:{plan.id}:2" in markup.params["reply_markup"]
    assert f"plan:counter:{plan.id}:date" in markup.params["reply_markup"]

    await post(app_url, staff_press(ANNA, f"plan:counter:{plan.id}:2"))
    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.COUNTERED and plan.instalment_count == 2
    state = await get_state(debtor)
    assert (state["flow"], state["stage"]) == ("plan", "counter")
    [offer] = await debtor_texts(runtime, fake)
    assert "1.500,00" in offer.replace("\xa0", " ")

    # The debtor presses "yes" in the private chat: the flow engine activates the plan.
    await post(app_url, button_update(9001, DEBTOR_CHAT, "yes"))
    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.ACTIVE
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.IN_PLAN
    assert await Instalment.filter(plan_id=plan.id).count() == 2
    assert await PayLink.filter(debtor_id=debtor.id, purpose="instalment").exists()
    assert [e.action for e in await AuditEvent.filter(subject=f"plan:{plan.id}").order_by("id")][
        :2
    ] == ["plan.counter.opened", "plan.countered"]


async def test_counter_with_another_first_date(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor, _, plan = await pending_plan()
    await post(app_url, staff_press(ANNA, f"plan:counter:{plan.id}:date"))
    prompt = await Message.get(template="staff/counter_ask_date.txt")
    _, message_id = prompt.provider_id.split(":")
    await post(app_url, staff_says(ANNA, "15/12", reply_to=int(message_id)))

    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.COUNTERED
    assert plan.first_due_date == dt.date(2026, 12, 15)
    assert staff_texts(fake)[-1].startswith("↩️ Controproposta inviata da Anna")
    assert (await get_state(debtor))["data"]["first_due"] == "2026-12-15"


# --- discounts, claims, disputes ---------------------------------------------------------------


async def test_discount_approve(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-1", 400_000, 5)
    request = await DiscountRequest.create(
        debtor=debtor,
        balance_cents=400_000,
        amount_cents=392_000,
        percent="2",
        valid_until=TODAY + dt.timedelta(days=10),
        invoice_ids=[invoice.id],
    )
    await post(app_url, staff_press(ANNA, f"discount:approve:{request.id}"))

    assert (await DiscountRequest.get(id=request.id)).status is RequestStatus.APPROVED
    link = await PayLink.get(purpose="discount")
    assert link.amount_cents == 392_000
    [text] = await debtor_texts(runtime, fake)
    assert link.token in text and "3.920,00" in text.replace("\xa0", " ")
    assert answers(fake) == ["✅ Approvato da Anna"]


async def test_claim_confirm_records_the_payment(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2", 40_000, 15)
    debtor.paused_until = NOW + dt.timedelta(days=7)
    await debtor.save()
    claim = await PaymentClaim.create(
        debtor=debtor, paid_on=TODAY - dt.timedelta(days=2), invoice_ids=[invoice.id]
    )
    await post(app_url, staff_press(MARCO, f"claim:confirm:{claim.id}"))

    assert (await PaymentClaim.get(id=claim.id)).status is ClaimStatus.CONFIRMED
    payment = await Payment.get(provider_ref=f"manual:claim:{claim.id}")
    assert payment.amount_cents == 40_000
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.PAID
    assert (await Debtor.get(id=debtor.id)).paused_until is None
    assert answers(fake) == ["✅ Pagamento confermato da Marco (400,00 € registrati)"]
    assert any("abbiamo trovato il suo pagamento" in t for t in (await debtor_texts(runtime, fake)))


async def test_dispute_cancel_invoice(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-3", 20_000, 30, status=InvoiceStatus.DISPUTED)
    dispute = await Dispute.create(
        debtor=debtor, invoice=invoice, reason=DisputeReason.WRONG_AMOUNT
    )
    await post(app_url, staff_press(ANNA, f"dispute:cancel_invoice:{dispute.id}"))

    dispute = await Dispute.get(id=dispute.id)
    assert dispute.status is DisputeStatus.INVOICE_CANCELLED
    assert dispute.resolved_by_id == staff["anna"].id  # type: ignore[attr-defined]
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.CANCELLED
    assert (await debtor_texts(runtime, fake)) == [
        render(
            "decisions/dispute_invoice_cancelled.txt", "it", invoice_number="F-3", invoice_count=1
        )
    ]
    assert answers(fake) == ["🗑️ Fattura annullata da Anna"]


async def test_staff_buttons_never_reach_the_debtor_flows(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    await post(app_url, staff_press(ANNA, "pay_now"))
    await post(app_url, staff_says(ANNA, "ciao a tutti"))
    assert answers(fake) == [render("staff/unknown_button.txt", "it")]
    assert staff_texts(fake) == []
    assert not await Message.filter(direction=Direction.INBOUND).exists()


# --- commands --------------------------------------------------------------------------------


async def test_overdue_buckets(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "A", 10_000, 5)
    await make_invoice(debtor, "B", 20_000, 30)
    await make_invoice(debtor, "C", 40_000, 45)
    await make_invoice(debtor, "D", 80_000, 120, paid_cents=30_000)
    await make_invoice(debtor, "E", 99_999, 70, status=InvoiceStatus.PAID, paid_cents=99_999)
    await make_invoice(debtor, "F", 55_555, -3)  # not yet due
    await post(app_url, staff_says(ANNA, "/overdue"))

    [text] = staff_texts(fake)
    assert "4 fatture" in text
    assert "0-30 giorni: 2 · 300,00 €" in text
    assert "31-60 giorni: 1 · 400,00 €" in text
    assert "61-90 giorni: 0" in text
    assert "90+ giorni: 1 · 500,00 €" in text
    assert "Totale: 1.200,00 €" in text


def test_aging_boundaries() -> None:
    today = dt.date(2026, 11, 23)
    rows = [(today - dt.timedelta(days=d), 100, "EUR") for d in (0, 1, 30, 31, 60, 61, 90, 91)]
    assert [(b.label, b.count) for b in aging(rows, today)] == [
        ("0-30", 2),
        ("31-60", 2),
        ("61-90", 2),
        ("90+", 1),
    ]


async def test_debtor_command(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-2026-0042", 123_456, 10)
    await set_state(debtor, {"flow": "promise", "stage": "choose", "data": {}}, Channel.TELEGRAM)
    await make_debtor("C099", "Bianchi Bar")
    await post(app_url, staff_says(ANNA, "/debtor rossi"))
    await post(app_url, staff_says(ANNA, "/debtor c099"))
    await post(app_url, staff_says(ANNA, "/debtor nessuno"))

    first, second, third = staff_texts(fake)
    assert "Rossi Impianti S.r.l. (C042" in first and "F-2026-0042: 1.234,56 €" in first
    assert "Conversazione: promise.choose su telegram" in first
    assert "Storico: 0 fatture pagate; promesse non mantenute: 0; piani: 0" in first
    # The registry's header and timeline (bot/registry/): the exposure, then every fact.
    assert "💰 Esposizione: 1.234,56 € su 1 fattura (scaduto 1.234,56 €" in first.replace(
        "\xa0", " "
    )
    assert "🕓 Cronologia (1 voce):" in first and "📄 Fattura F-2026-0042 emessa" in first
    assert "Bianchi Bar (C099" in second
    assert third == render("staff/debtor_not_found.txt", "it", query="nessuno")


async def test_pause_and_resume(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    await post(app_url, staff_says(MARCO, "/pause C042 14"))
    paused = await Debtor.get(id=debtor.id)
    assert paused.paused_until == NOW + dt.timedelta(days=14)
    await post(app_url, staff_says(MARCO, "/resume Rossi"))
    assert (await Debtor.get(id=debtor.id)).paused_until is None
    await post(app_url, staff_says(MARCO, "/pause C042 9999"))

    texts = staff_texts(fake)
    paused = "⏸ Solleciti a Rossi Impianti S.r.l. in pausa fino al 7 dicembre 2026 (Marco)."
    assert texts[0] == paused
    assert texts[1] == "▶️ Solleciti a Rossi Impianti S.r.l. ripresi (Marco)."
    assert texts[2].startswith("Uso: /pause")
    assert [e.action for e in await AuditEvent.filter(subject=f"debtor:{debtor.id}")] == [
        "debtor.paused",
        "debtor.resumed",
    ]


async def test_plan_command(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    _, _, plan = await pending_plan()
    await post(app_url, staff_press(ANNA, f"plan:approve:{plan.id}"))
    await post(app_url, staff_says(ANNA, "/plan C042"))
    [text] = staff_texts(fake)
    assert f"Piano #{plan.id} di Rossi Impianti S.r.l.: attivo, 3 rate per 3.000,00 €" in text
    assert "1. 23 novembre 2026: 1.000,00 € (da pagare)" in text
    assert text.count("1.000,00 €") == 3


def test_parsers() -> None:
    assert parse_button("plan:approve:7") == ("plan", "approve", 7, "")
    assert parse_button("plan:counter:7:3") == ("plan", "counter", 7, "3")
    assert parse_button("discount:approve:7:3") is None
    assert parse_button("plan:explode:7") is None
    assert parse_button("invoice:F-1") is None
    assert parse_pause_args(["Rossi", "Srl", "14"]) == ("Rossi Srl", 14)
    assert parse_pause_args(["C042"]) == ("C042", 7)
    assert parse_pause_args(["C042", "0"]) is None
    assert parse_pause_args([]) is None


# --- hand-off ---------------------------------------------------------------------------------


async def relayed(debtor: Debtor, fake: FakeTelegram) -> int:
    """The debtor is talking to staff and one relayed message sits in the staff chat."""
    await set_state(debtor, {"flow": "handoff", "stage": "relay", "data": {}}, Channel.TELEGRAM)
    message_id = 777
    await Message.create(
        debtor=debtor,
        direction=Direction.OUTBOUND,
        audience="staff",
        channel=Channel.TELEGRAM,
        template="staff/relay.txt",
        body="Rossi: posso pagare la metà adesso?",
        status=MessageStatus.SENT,
        provider_id=f"{STAFF_CHAT}:{message_id}",
        scheduled_at=NOW,
    )
    return message_id


async def test_handoff_reply_reaches_the_debtor_and_done_hands_back(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember], runtime: Runtime
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-9", 50_000, 12)
    message_id = await relayed(debtor, fake)

    await post(app_url, staff_says(ANNA, "Certo, le mando il link.", reply_to=message_id))
    assert (await debtor_texts(runtime, fake)) == [
        "Anna (Forniture Bianchi S.p.A.): Certo, le mando il link."
    ]
    await post(app_url, staff_says(ANNA, "/done", reply_to=message_id))

    state = await get_state(debtor)
    assert state["flow"] == "menu"
    to_debtor = await debtor_texts(runtime, fake)
    assert to_debtor[1].startswith(render("flows/handoff/ended.txt", "it"))
    assert staff_texts(fake)[-1] == (
        "🤖 La conversazione con Rossi Impianti S.r.l. torna al bot (Anna)."
    )
    assert [e.action for e in await AuditEvent.filter(subject=f"debtor:{debtor.id}")] == [
        "handoff.reply",
        "handoff.ended",
    ]
    # Once handed back, a reply no longer goes to the debtor.
    await post(app_url, staff_says(ANNA, "ancora una cosa", reply_to=message_id))
    assert len(await debtor_texts(runtime, fake)) == len(to_debtor)
    assert staff_texts(fake)[-1] == render("staff/not_in_handoff.txt", "it", debtor=debtor)


async def test_done_by_debtor_name(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    await relayed(debtor, fake)
    await post(app_url, staff_says(MARCO, "/done C042"))
    assert (await get_state(debtor))["flow"] == "menu"


async def test_every_press_is_audited(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    _, _, plan = await pending_plan()
    presses = [
        (STRANGER, f"plan:approve:{plan.id}"),
        (MARCO, f"plan:approve:{plan.id}"),
        (ANNA, f"plan:approve:{plan.id}"),
        (MARCO, f"plan:reject:{plan.id}"),
    ]
    for user, data in presses:
        await post(app_url, staff_press(user, data))
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == [
        "staff.refused",
        "plan.approve.refused",
        "plan.approved",
        "plan.reject.already_decided",
    ]


# --- the whole way: the debtor asks in Telegram, the card reaches the staff chat -------------


async def test_debtor_plan_request_card_approved_in_the_staff_chat(
    app_url: str, fake: FakeTelegram, runtime: Runtime, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    invoice = await make_invoice(debtor, "F-2026-0500", 450_000, 25)
    for update_id, data in ((9101, "instalments"), (9102, "plan_3"), (9103, "yes")):
        await post(app_url, button_update(update_id, DEBTOR_CHAT, data))
    plan = await PaymentPlan.get(debtor_id=debtor.id)
    assert plan.status is PlanStatus.PENDING_APPROVAL

    assert (await Dispatcher(runtime).run_once()).get(DispatchOutcome.SENT, 0) >= 1
    card = await Message.get(audience="staff", debtor_id=debtor.id, status=MessageStatus.SENT)
    _, message_id = card.provider_id.split(":")
    approve = next(o["key"] for o in card.options if o["key"].startswith("plan:approve:"))
    assert approve == f"plan:approve:{plan.id}"
    before = len(await debtor_texts(runtime, fake))

    await post(app_url, staff_press(ANNA, approve, message_id=int(message_id)))

    plan = await PaymentPlan.get(id=plan.id)
    assert plan.status is PlanStatus.ACTIVE
    assert (await Invoice.get(id=invoice.id)).status is InvoiceStatus.IN_PLAN
    [approved] = (await debtor_texts(runtime, fake))[before:]
    link = await PayLink.get(debtor_id=debtor.id, purpose="instalment")
    assert f"/pay/{link.token}" in approved and "1.500,00" in approved.replace("\xa0", " ")
    [edit] = fake.calls_to("editMessageText")
    assert edit.params["message_id"] == message_id


async def test_debtor_relayed_message_answered_from_the_staff_chat(
    app_url: str, fake: FakeTelegram, runtime: Runtime, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    await make_invoice(debtor, "F-2026-0600", 90_000, 25)
    await post(app_url, button_update(9201, DEBTOR_CHAT, "talk_to_person"))
    await post(app_url, message_update(9202, DEBTOR_CHAT, "Posso pagare la metà adesso?"))
    await Dispatcher(runtime).run_once()
    relay = await Message.filter(audience="staff", debtor_id=debtor.id, status=MessageStatus.SENT)
    relayed_row = next(m for m in relay if "metà" in (m.body or "") + str(m.context))
    _, message_id = relayed_row.provider_id.split(":")
    assert any("Posso pagare la metà adesso?" in text for text in staff_texts(fake))
    before = len(await debtor_texts(runtime, fake))

    await post(app_url, staff_says(MARCO, "Sì, va bene.", reply_to=int(message_id)))
    await post(app_url, staff_says(MARCO, "/done", reply_to=int(message_id)))

    new = (await debtor_texts(runtime, fake))[before:]
    assert new[0] == "Marco (Forniture Bianchi S.p.A.): Sì, va bene."
    assert new[1].startswith(render("flows/handoff/ended.txt", "it"))
    assert (await get_state(debtor))["flow"] == "menu"


async def test_viewer_may_look_but_not_act(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    await StaffMember.create(telegram_user_id=503, name="Vera", role=StaffRole.VIEWER)
    debtor = await make_debtor()
    await post(app_url, staff_says(503, "/pause C042"))
    await post(app_url, staff_says(503, "/plan C042"))
    assert (await Debtor.get(id=debtor.id)).paused_until is None
    refused, plan_text = staff_texts(fake)
    assert refused == render("staff/viewer_only.txt", "it")
    assert plan_text == "Rossi Impianti S.r.l. non ha piani di rientro."


async def test_counter_needs_authority_before_terms_are_offered(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    _, _, plan = await pending_plan()
    await post(app_url, staff_press(MARCO, f"plan:counter:{plan.id}"))
    assert not fake.calls_to("editMessageReplyMarkup")
    assert answers(fake) == ["Non può decidere: 3.000,00 € supera il suo limite di approvazione."]
    assert (await PaymentPlan.get(id=plan.id)).status is PlanStatus.PENDING_APPROVAL
    assert len(await audit("plan.counter.refused")) == 1


async def test_a_photo_reply_to_a_relayed_message_is_not_relayed(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    message_id = await relayed(debtor, fake)
    update = staff_says(ANNA, "", reply_to=message_id)
    del update["message"]["text"]
    update["message"]["photo"] = [
        {"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}
    ]
    await post(app_url, update)
    assert fake.texts_to(DEBTOR_CHAT) == []
    assert staff_texts(fake) == [render("staff/relay_text_only.txt", "it")]


async def test_debtor_with_many_invoices_fits_one_message(
    app_url: str, fake: FakeTelegram, staff: dict[str, StaffMember]
) -> None:
    debtor = await make_debtor()
    for n in range(45):
        await make_invoice(debtor, f"FT-2026/{n:05d}", 10_000 + n, 10 + n)
    await post(app_url, staff_says(ANNA, "/debtor C042"))
    [text] = staff_texts(fake)
    assert len(text) < 4096
    assert "…e altre 25" in text and "Totale: 4.509,90 €" in text


@pytest.mark.parametrize("language", ["it", "en"])
async def test_every_staff_chat_text_renders(language: str, staff: dict[str, StaffMember]) -> None:
    from bot.texts import TEMPLATES_DIR, environment

    debtor = await make_debtor()
    await make_invoice(debtor, "F-1", 10_000, 40)
    plan = await PaymentPlan.create(
        debtor=debtor,
        status=PlanStatus.PENDING_APPROVAL,
        total_cents=10_000,
        instalment_count=2,
        first_due_date=TODAY,
        invoice_ids=[],
    )
    reports = {
        "staff/overdue.txt": await overdue_report(TODAY),
        "staff/debtor.txt": await debtor_report(debtor),
        "staff/plan.txt": await plan_report(debtor),
    }
    texts = {name: render(name, language, **context) for name, context in reports.items()}
    assert "100,00" in texts["staff/overdue.txt"] or "100.00" in texts["staff/overdue.txt"]
    assert "F-1" in texts["staff/debtor.txt"]
    assert f"#{plan.id}" in texts["staff/plan.txt"]
    # Every other template of the staff chat and the decisions at least compiles.
    for folder in ("staff", "decisions"):
        for path in (TEMPLATES_DIR / language / folder).rglob("*.txt"):
            environment().get_template(str(path.relative_to(TEMPLATES_DIR)))

"""The conversation state machine: every flow end to end, stale and idle states, and a property
test that throws thousands of hostile inputs at every stage."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversations.replies import render_reply, rendered_options
from bot.flows import options as opt
from bot.flows.context import Input, OpenInvoice
from bot.flows.effects import (
    ALERT_RELAY,
    AlertStaff,
    ClaimPaid,
    HandOff,
    MakePayLink,
    OpenDispute,
    OptOut,
    RequestPlan,
)
from bot.flows.graph import STAGES, next_stages
from bot.flows.states import (
    after_reminder,
    close_if_inactive,
    discount_offered,
    hand_back,
    initial_state,
    is_inactive,
    step,
)
from bot.payments.bank import BankTransfer, payment_reference
from tests.support.flow_helpers import FILLED, NOW, TODAY, Chat, context, policy, texts

BANK = BankTransfer(
    iban="IT60X0542811101000000123456",
    bic="BPMOIT22XXX",
    beneficiary="Sollecito Demo S.r.l.",
    reference=payment_reference(42, ["FT-2026-101", "FT-2026-117"]),
    amount_cents=150_050,
    currency="EUR",
)


def test_pay_now_makes_a_link_for_the_open_balance() -> None:
    chat = Chat(context())
    shown = chat.send("1")
    assert chat.effects == [MakePayLink("balance", 150_050, None)]
    assert "1.500,50 €" in shown[0] and "FT-2026-101, FT-2026-117" in shown[0]
    assert FILLED["pay_url"] in shown[0]
    assert chat.stage == "menu.main"


def test_with_nothing_due_there_is_nothing_to_pay() -> None:
    chat = Chat(context(()))
    shown = chat.send(option="pay_now")
    assert chat.effects == []
    assert "Non risultano importi da pagare" in shown[0]
    chat.send(option="menu")
    assert "Non risultano fatture aperte" in texts(chat.last, "it")[0]  # type: ignore[arg-type]


def test_already_paid_with_a_typed_date_and_a_receipt() -> None:
    chat = Chat(context())
    chat.send("ho già pagato")
    asked = chat.send("venerdì")
    assert chat.stage == "already_paid.receipt"
    assert "20 novembre 2026" in asked[0]
    receipt = {"kind": "document", "file_id": "BQACAgQ", "mime_type": "application/pdf"}
    done = chat.send(attachments=(receipt,))
    assert chat.effects == [ClaimPaid(date=dt.date(2026, 11, 20), attachments=(receipt,))]
    assert "7 giorni" in done[0]


@pytest.mark.parametrize(
    ("language", "text", "stage", "claimed"),
    [
        ("it", "ho pagato ieri", "already_paid.receipt", "2026-11-22"),
        ("it", "Ho già pagato venerdì!", "already_paid.receipt", "2026-11-20"),
        ("it", "ho pagato il 20/11", "already_paid.receipt", "2026-11-20"),
        ("en", "I paid yesterday", "already_paid.receipt", "2026-11-22"),
        ("it", "ho pagato", "already_paid.date", None),  # a keyword alone chooses the option
        ("it", "pagato domani", "already_paid.date", None),  # a paid date cannot be tomorrow
        ("it", "pago venerdì", "promise.confirm", None),  # a date alone is still a promise
    ],
)
def test_a_sentence_saying_it_is_paid_is_a_claim_with_its_date(
    language: str, text: str, stage: str, claimed: str | None
) -> None:
    chat = Chat(context(language=language))
    chat.send(text)
    assert chat.stage == stage
    if claimed is not None:
        assert chat.state["data"] == {"date": claimed}


def test_already_paid_without_a_receipt() -> None:
    chat = Chat(context(language="en"))
    chat.send(option="already_paid")
    chat.send(option="paid_yesterday")
    helped = chat.send("I sent it by bank")  # neither a receipt nor "no receipt"
    assert chat.stage == "already_paid.receipt" and "didn't understand" in helped[0]
    chat.send("no receipt")
    assert chat.effects == [ClaimPaid(date=dt.date(2026, 11, 22), attachments=())]


def test_a_payment_date_in_the_future_is_refused() -> None:
    chat = Chat(context())
    chat.send(option="already_paid")
    refused = chat.send("15/12/2026")
    assert chat.stage == "already_paid.date"
    assert "nel futuro" in refused[0]


def test_dispute_on_one_of_several_invoices_with_a_description() -> None:
    chat = Chat(context())
    chat.send("contesta")
    chat.send(option="dispute_wrong_amount")
    assert chat.stage == "dispute.invoice"
    assert chat.option_keys == [
        "invoice:FT-2026-101",
        "invoice:FT-2026-117",
        "dispute_all_invoices",
        "back",
    ]
    chat.send("2")
    done = chat.send("Avevamo concordato 250 €, non 300,50 €.\x00")
    assert chat.effects == [
        OpenDispute(
            reason="wrong_amount",
            text="Avevamo concordato 250 €, non 300,50 €.",
            invoice_number="FT-2026-117",
        )
    ]
    assert "FT-2026-117" in done[0]


def test_dispute_with_a_single_invoice_and_no_details() -> None:
    single = (OpenInvoice("FT-7", 9_900, dt.date(2026, 11, 1)),)
    chat = Chat(context(single, language="en"))
    chat.send(option="dispute")
    chat.send("not mine")
    assert chat.stage == "dispute.describe"
    chat.send("continue without details")
    assert chat.effects == [OpenDispute(reason="not_mine", invoice_number="FT-7")]


def test_a_dispute_for_another_reason_needs_words() -> None:
    chat = Chat(context())
    chat.send(option="dispute")
    chat.send(option="dispute_other")
    chat.send(option="dispute_all_invoices")
    assert chat.option_keys == ["back"]
    helped = chat.send(attachments=({"file_id": "photo"},))
    assert chat.stage == "dispute.describe" and "Non ho capito" in helped[0]
    chat.send("Il contratto è stato disdetto a settembre", attachments=({"file_id": "photo"},))
    assert chat.effects == [
        OpenDispute(
            reason="other",
            text="Il contratto è stato disdetto a settembre",
            invoice_number=None,
            attachments=({"file_id": "photo"},),
        )
    ]


def test_button_data_naming_an_invoice_that_is_not_the_debtors_gets_help() -> None:
    chat = Chat(context())
    chat.send(option="dispute")
    chat.send(option="dispute_wrong_amount")
    helped = chat.send(option="invoice:FT-OTHER-999")
    assert chat.stage == "dispute.invoice"
    assert "Non ho capito" in helped[0]
    assert all("FT-OTHER-999" not in text for text in helped)


def test_a_typed_stop_during_a_hand_off_is_relayed_and_asked_to_confirm() -> None:
    chat = Chat(context())
    chat.send("6")
    chat.send("basta messaggi")
    assert chat.effects[1:] == [
        AlertStaff(ALERT_RELAY, {"text": "basta messaggi", "attachments": []})
    ]
    assert chat.stage == "stop.confirm"
    chat.send(option="yes")
    assert chat.effects[-1] == OptOut()


def test_talk_to_a_person_relays_every_message_until_staff_hand_back() -> None:
    chat = Chat(context())
    chat.send("6")
    assert chat.effects == [HandOff()]
    assert chat.stage == "handoff.relay"
    chat.send("1")  # not an option here: a message for the person
    chat.send("la chiamo domani")
    assert chat.effects[1:] == [
        AlertStaff(ALERT_RELAY, {"text": "1", "attachments": []}),
        AlertStaff(ALERT_RELAY, {"text": "la chiamo domani", "attachments": []}),
    ]
    waiting = chat.send(option="pay_now")  # an old button: a person is talking with them
    assert "collega" in waiting[0] and len(chat.effects) == 3
    back = hand_back(chat.state, chat.ctx)
    assert back.new_state["flow"] == "menu"
    assert "conclusa" in texts(back, "it")[0]


def test_stop_asks_for_confirmation_then_opts_out() -> None:
    chat = Chat(context(language="en"))
    asked = chat.send("STOP")
    assert chat.stage == "stop.confirm" and "no longer want" in asked[0]
    done = chat.send("yes")
    assert chat.effects == [OptOut()]
    assert "will not write to you on this channel" in done[0]


def test_stop_can_be_called_off() -> None:
    chat = Chat(context())
    chat.send("basta")
    chat.send("no")
    assert chat.effects == [] and chat.stage == "menu.main"


def test_bank_transfer_details_on_request() -> None:
    chat = Chat(context(bank=BANK))
    shown = chat.send("coordinate bancarie")
    assert "IBAN: IT60 X054 2811 1010 0000 0123 456" in shown[0]
    assert "Importo: 1.500,50 €" in shown[0]
    assert "Causale: SOL-42-69 FT-2026-101 FT-2026-117" in shown[0]
    assert chat.last is not None
    (qr,) = chat.last.replies[0].attachments
    assert qr.mime_type == "image/png" and qr.content.startswith(b"\x89PNG")
    chat = Chat(context(bank=None, language="en"))
    assert "not available" in chat.send("iban")[0]  # typed, or an old button
    chat.send("menu")
    assert "bank_details" not in chat.option_keys  # not offered without an IBAN


def test_unknown_input_gets_a_short_help_with_the_options_and_keeps_the_state() -> None:
    chat = Chat(context())
    chat.send(option="instalments")
    state = dict(chat.state)
    helped = chat.send("boh")
    assert "Non ho capito" in helped[0]
    assert chat.option_keys == ["plan_2", "plan_3", "plan_6", "plan_first_date", "back"]
    assert {k: v for k, v in chat.state.items() if k != "updated_at"} == {
        k: v for k, v in state.items() if k != "updated_at"
    }


def test_menu_words_work_from_anywhere_but_numbers_stay_local() -> None:
    chat = Chat(context())
    chat.send(option="promise")
    chat.send("menu")
    assert chat.stage == "menu.main"
    chat.send(option="promise")
    chat.send("paga ora")
    assert chat.effects == [MakePayLink("balance", 150_050, None)]
    chat.send(option="promise")
    asked = chat.send("7")  # not the menu's seventh option: here it is the 7th of the month
    assert chat.stage == "promise.confirm"
    assert "7 dicembre 2026" in asked[0]


@pytest.mark.parametrize(
    "state",
    [
        {"flow": "wizard", "stage": "main"},
        {"flow": "plan", "stage": "nowhere"},
        {"flow": "plan", "stage": "confirm", "data": {}},
        {"flow": "plan", "stage": "confirm", "data": {"count": "three"}},
        {"flow": "plan", "stage": "confirm", "data": {"count": 3, "first_due": "soon"}},
        {"flow": "promise", "stage": "confirm", "data": {"date": 20261201}},
        {"flow": "dispute", "stage": "describe", "data": {"reason": "bored"}},
        {"flow": "dispute", "stage": "describe", "data": {"reason": "other", "invoice": "B-1"}},
        {"flow": "menu", "stage": "main", "data": []},
        {"flow": 7},
        ["menu"],
        None,
        "menu.main",
    ],
)
def test_stale_or_malformed_state_goes_back_to_the_menu_politely(state: Any) -> None:
    outcome = step(state, Input(text="sì"), context())
    assert outcome.new_state["flow"] == "menu"
    rendered = texts(outcome, "it")
    assert rendered[0] == "Ci scusi, riprendiamo dall'inizio."
    assert outcome.replies[-1].options
    assert outcome.effects == []


def test_an_idle_conversation_is_closed_politely() -> None:
    ctx = context()
    state = step(initial_state(), Input(option="instalments"), ctx).new_state
    assert close_if_inactive(state, ctx) is None
    later = replace(ctx, now=NOW + dt.timedelta(hours=73))
    closed = close_if_inactive(state, later)
    assert closed is not None and closed.new_state["flow"] == "menu"
    assert "inattività" in texts(closed, "it")[0]
    at_menu = step(initial_state(), Input(text="ciao"), ctx).new_state
    assert close_if_inactive(at_menu, later) is None  # nothing to close
    shorter = replace(
        ctx, now=NOW + dt.timedelta(hours=5), inactivity_timeout=dt.timedelta(hours=4)
    )
    assert close_if_inactive(state, shorter) is not None
    handoff = step(initial_state(), Input(option="talk_to_person"), ctx).new_state
    assert close_if_inactive(handoff, later) is not None
    assert close_if_inactive({"flow": "gone"}, later) is None  # no time recorded: left alone


def test_coming_back_after_the_timeout_starts_from_the_menu() -> None:
    chat = Chat(context())
    chat.send(option="instalments")
    chat.send(option="plan_3")
    chat.later(hours=80)
    shown = chat.send("1")  # "yes" three days ago; now the menu's first option
    assert "chiusa per inattività" in shown[0]
    assert chat.effects == [MakePayLink("balance", 150_050, None)]


def test_the_reminder_step_decides_the_discount_and_is_carried_along() -> None:
    rules = policy()
    state = after_reminder("courtesy", NOW)
    assert discount_offered(state, rules)
    assert not discount_offered(after_reminder("overdue_1", NOW), rules)
    assert not discount_offered({}, rules) and not discount_offered(None, rules)  # type: ignore[arg-type]
    ctx = context(discount_offered=discount_offered(state, rules))
    moved = step(state, Input(option="instalments"), ctx).new_state
    assert moved["reminder_step"] == "courtesy" and moved["flow"] == "plan"


def test_numbers_follow_the_order_the_reminder_showed() -> None:
    shown = ["discount", "pay_now", "instalments", "promise", "already_paid", "dispute", "x"]
    state = after_reminder("courtesy", NOW, shown)
    chat = Chat(context(discount_offered=True, bank=BANK), state=state)
    chat.send("2")
    assert chat.effects == [MakePayLink("balance", 150_050, None)]
    assert chat.state["menu_order"] == shown  # carried along until the next reminder
    helped = chat.send("boh")
    assert "Non ho capito" in helped[0]
    assert chat.option_keys == [
        "discount",
        "pay_now",
        "instalments",
        "promise",
        "already_paid",
        "dispute",
        "talk_to_person",  # what the reminder lacked follows, so its numbers stay
        "bank_details",
    ]
    chat.send("1")
    assert chat.stage == "discount.offer"
    # The same order without the discount on offer: it is dropped, the rest move up.
    plain = Chat(context(discount_offered=False), state=after_reminder("overdue_1", NOW, shown))
    plain.send("1")
    assert plain.effects == [MakePayLink("balance", 150_050, None)]


def test_every_stage_prompt_renders_in_both_languages() -> None:
    samples = {
        "plan.confirm": {"count": 3},
        "promise.confirm": {"date": "2026-12-01"},
        "already_paid.receipt": {"date": "2026-11-20"},
        "dispute.invoice": {"reason": "wrong_amount"},
        "dispute.describe": {"reason": "other", "invoice": "FT-2026-101"},
        "plan.counter": {
            "plan_id": 41,
            "total_cents": 90_000,
            "count": 3,
            "first_due": "2026-12-01",
        },
    }
    for language in ("it", "en"):
        ctx = context(language=language, discount_offered=True, bank=BANK)
        for name, stage in STAGES.items():
            spec = stage.prompt(samples.get(name, {}), ctx)
            assert render_reply(spec, language, FILLED).strip(), name
            assert all(o.label.strip() for o in rendered_options(spec.options, language)), name


# The property test -------------------------------------------------------------------------

OTHER_INVOICES = ("B-SECRET-4471", "ALTRO-2026-999")
OTHER_NAME = "Ditta Segreta Bianchi"
MARKERS = (*OTHER_INVOICES, OTHER_NAME)

ALL_KEYS = sorted(
    {v for k, v in vars(opt).items() if k.isupper() and isinstance(v, str) and v[-1] not in "_:"}
    | {"plan_2", "plan_3", "plan_6", "plan_0", "plan_99", "plan_-1", "invoice:A-2026-001"}
)
HOSTILE_TEXTS = [
    "",
    " ",
    "0",
    "-1",
    "9",
    "37",
    "99999999999999999999",
    "1e9",
    "٣",
    "🙂🙂🙂",
    "\u202e\u0645\u0631\u062d\u0628\u0627 1",
    "\u05e9\u05dc\u05d5\u05dd",
    "\x00\x01\x02\x1b[2J",
    "\ufeff1",
    "1\u200f",
    "null",
    "{{ 7*7 }}",
    "<b>1</b>",
    "'; DROP TABLE debtor; --",
    "paga ora",
    "PAGÀ",
    "pay now",
    "sì",
    "no",
    "stop",
    "menu",
    "indietro",
    "domani",
    "il 15",
    "fine mese",
    "15/12/2031",
    "32/13",
    "next week",
    "ieri",
    "3 rate",
    *OTHER_INVOICES,
    OTHER_NAME,
    f"contesto la fattura {OTHER_INVOICES[0]}",
]
BUTTONS = [
    *ALL_KEYS,
    *(f"invoice:{number}" for number in OTHER_INVOICES),
    f"plan:{OTHER_INVOICES[0]}:approve",
    "pay_now\x00",
    "x" * 300,
]

texts_strategy = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.text(max_size=40),
    st.text(min_size=1, max_size=6).map(lambda s: (s * 4000)[:4000]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
inputs_strategy = st.builds(
    Input,
    option=st.one_of(st.just(""), st.just(""), st.sampled_from(BUTTONS), st.text(max_size=20)),
    text=texts_strategy,
    attachments=st.one_of(
        st.just(()), st.just(({"kind": "photo", "file_id": "AgAD"},)), st.just(({},))
    ),
)

dates_near = st.dates(
    min_value=TODAY - dt.timedelta(days=400), max_value=TODAY + dt.timedelta(days=400)
)
junk = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
reasons = st.one_of(
    st.sampled_from(["wrong_amount", "goods_or_service", "not_mine", "other"]), junk
)
own_or_other_invoice = st.one_of(
    st.none(), st.sampled_from(["A-2026-001", "A-2026-002", *OTHER_INVOICES]), junk
)
STAGE_DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "plan.choose": st.one_of(
        st.just({}), st.fixed_dictionaries({"first_due": dates_near.map(dt.date.isoformat)})
    ),
    "plan.confirm": st.fixed_dictionaries(
        {"count": st.one_of(st.integers(min_value=-3, max_value=40), junk)},
        optional={"first_due": st.one_of(dates_near.map(dt.date.isoformat), junk)},
    ),
    "promise.confirm": st.fixed_dictionaries(
        {"date": st.one_of(dates_near.map(dt.date.isoformat), junk)}
    ),
    "already_paid.receipt": st.fixed_dictionaries(
        {"date": st.one_of(dates_near.map(dt.date.isoformat), junk)}
    ),
    "dispute.invoice": st.fixed_dictionaries({"reason": reasons}),
    "plan.counter": st.fixed_dictionaries(
        {
            "plan_id": st.one_of(st.integers(min_value=1, max_value=10**6), junk),
            "total_cents": st.one_of(st.integers(min_value=1, max_value=10**9), junk),
            "count": st.one_of(st.integers(min_value=2, max_value=12), junk),
            "first_due": st.one_of(dates_near.map(dt.date.isoformat), junk),
        }
    ),
    "dispute.describe": st.fixed_dictionaries(
        {"reason": reasons}, optional={"invoice": own_or_other_invoice}
    ),
}


@st.composite
def states(draw: st.DrawFn) -> Any:
    if draw(st.integers(min_value=0, max_value=19)) == 0:  # now and then, pure junk
        return draw(
            st.one_of(
                st.none(),
                st.dictionaries(st.text(max_size=8), junk, max_size=4),
                st.fixed_dictionaries({"flow": junk, "stage": junk, "data": junk}),
            )
        )
    name = draw(st.sampled_from(sorted(STAGES)))
    flow, stage = name.split(".", 1)
    data = draw(STAGE_DATA.get(name, st.just({})))
    state: dict[str, Any] = {"flow": flow, "stage": stage, "data": data}
    idle_hours = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=200)))
    if idle_hours is not None:
        state["updated_at"] = (NOW - dt.timedelta(hours=idle_hours)).isoformat()
    if draw(st.booleans()):
        state["reminder_step"] = draw(st.sampled_from(["courtesy", "overdue_1", "gone"]))
    if draw(st.booleans()):
        state["menu_order"] = draw(
            st.one_of(st.permutations(list(opt.MENU_KEYS)), st.lists(st.text(max_size=8)), junk)
        )
    return state


@st.composite
def contexts(draw: st.DrawFn) -> Any:
    count = draw(st.sampled_from([0, 1, 2, 3]))
    invoices = tuple(
        OpenInvoice(
            f"A-2026-{index + 1:03d}",
            draw(st.integers(min_value=0, max_value=10**9)),
            TODAY - dt.timedelta(days=draw(st.integers(min_value=-30, max_value=400))),
        )
        for index in range(count)
    )
    return context(
        invoices,
        language=draw(st.sampled_from(["it", "en"])),
        discount_offered=draw(st.booleans()),
        bank=draw(st.sampled_from([None, BANK])),
    )


def _stage_of(state: Any) -> str | None:
    if not isinstance(state, dict):
        return None
    name = f"{state.get('flow')}.{state.get('stage')}"
    return name if name in STAGES and isinstance(state.get("data", {}), dict) else None


def test_every_input_in_every_stage_gets_a_reply_and_only_the_debtors_own_data() -> None:
    seen = {"inputs": 0, "stages": set()}

    @settings(
        max_examples=700,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        state=states(), ctx=contexts(), inputs=st.lists(inputs_strategy, min_size=8, max_size=10)
    )
    def run(state: Any, ctx: Any, inputs: list[Input]) -> None:
        own = {invoice.number for invoice in ctx.invoices}
        for user in inputs:
            if isinstance(state, dict) and isinstance(state.get("flow"), str):
                seen["stages"].add(f"{state['flow']}.{state.get('stage')}")
            at = _stage_of(state)
            outcome = step(state, user, ctx)
            seen["inputs"] += 1
            if at is not None and not is_inactive(state, ctx):  # a move the graph allows
                assert _stage_of(outcome.new_state) in next_stages(at), (state, user)
            assert outcome.replies, (state, user)
            assert all(r.template != "flows/sorry.txt" for r in outcome.replies), (state, user)
            for reply in outcome.replies:
                shown = render_reply(reply, ctx.language, FILLED)
                labelled = rendered_options(reply.options, ctx.language)
                shown += "\n".join(o.label + o.key for o in labelled)
                assert shown.strip()
                for marker in MARKERS:
                    assert marker not in shown, (marker, state, user)
            for effect in outcome.effects:
                # Effects act on this debtor's invoices and balance only.
                if isinstance(effect, OpenDispute):
                    assert effect.invoice_number is None or effect.invoice_number in own
                if isinstance(effect, MakePayLink):
                    assert 0 < effect.amount_cents <= ctx.balance_cents
                if isinstance(effect, RequestPlan):
                    assert effect.total_cents == ctx.balance_cents
                    assert sum(amount for _, amount in effect.schedule) == effect.total_cents
            json.dumps(outcome.new_state)  # the engine stores it as JSON
            state = outcome.new_state

    run()
    assert seen["inputs"] >= 5000
    assert seen["stages"] >= set(STAGES)


def test_the_engine_renders_the_flows_replies_with_what_effects_produced() -> None:
    from bot.conversations.replies import Reply, render_replies

    outcome = step(initial_state(), Input(option="pay_now"), context(language="en"))
    (sent,) = render_replies(outcome.replies, "en", {"pay_url": "https://x/pay/abc"})
    assert isinstance(sent, Reply) and sent.template == "flows/pay/link.txt"
    assert "https://x/pay/abc" in sent.text
    with pytest.raises(KeyError):
        render_replies(outcome.replies, "en")


def test_a_failing_step_apologises_and_tells_staff(monkeypatch: pytest.MonkeyPatch) -> None:
    """sorry.txt promises "un nostro collega la ricontatterà": the step raises the staff alert."""
    from bot.flows import states
    from bot.flows.effects import ALERT_FAILED, AlertStaff

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(states, "_step", broken)
    outcome = step(initial_state(), Input(text="vorrei pagare"), context())
    [apology] = outcome.replies
    assert apology.template == "flows/sorry.txt"
    assert "ricontatterà" in texts(outcome, "it")[0]
    assert outcome.effects == [AlertStaff(ALERT_FAILED, {"text": "vorrei pagare"})]

"""One vocabulary (bot/flows/vocabulary.py, from bot/flows/vocabulary.toml): the same word means
the same on Telegram, WhatsApp and SMS, in Italian and English; the texts that tell the debtor
which words to use name words it knows, with the meaning they promise."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.flows import options as opt
from bot.flows import vocabulary
from bot.flows.vocabulary import Keyword, KeywordMatch, Meaning, meaning
from bot.models import Channel, ContactPoint, Direction, Message, MessageStatus
from bot.texts import TEMPLATES_DIR, render
from tests.providers.telegram.telegram_updates import message_update
from tests.providers.twilio.twilio_app import DEBTOR_PHONE, SMS_FROM, WHATSAPP_FROM
from tests.support.webhook_stack import INBOUND_PATH, LINKED_CHAT, NOW, Stack, encode, webhook_stack

OFFERED = [
    {"key": opt.PAY_NOW, "label": "Paga ora"},
    {"key": opt.INSTALMENTS, "label": "Paga a rate"},
    {"key": opt.PROMISE, "label": "Pagherò entro una data"},
]
OUT, IN, HELP = Keyword.OPT_OUT, Keyword.OPT_IN, Keyword.HELP

# (text, opted out?, offered options) -> meaning. No channel: there is no per-channel reading.
TABLE: list[tuple[str, bool, list[dict[str, str]], Meaning]] = [
    ("basta", False, [], Meaning(KeywordMatch(OUT, "it"))),
    ("Basta!", False, OFFERED, Meaning(KeywordMatch(OUT, "it"))),
    ("STOP", False, [], Meaning(KeywordMatch(OUT, ""))),
    ("stop", True, OFFERED, Meaning(KeywordMatch(OUT, ""))),
    ("Arresta", False, [], Meaning(KeywordMatch(OUT, "it"))),
    ("Cancellà", False, [], Meaning(KeywordMatch(OUT, "it"))),
    ("unsubscribe", False, [], Meaning(KeywordMatch(OUT, "en"))),
    ("Stop all", False, [], Meaning(KeywordMatch(OUT, "en"))),
    ("cancel", False, OFFERED, Meaning(KeywordMatch(OUT, "en"))),
    ("START", True, [], Meaning(KeywordMatch(IN, ""))),
    ("start", False, [], Meaning(KeywordMatch(IN, ""))),
    ("riattiva", True, [], Meaning(KeywordMatch(IN, "it"))),
    ("unstop", True, [], Meaning(KeywordMatch(IN, "en"))),
    ("sì", True, [], Meaning(KeywordMatch(IN, "it"))),
    ("Yes", True, [], Meaning(KeywordMatch(IN, "en"))),
    ("sì", False, OFFERED, Meaning()),  # an everyday answer: for the conversation
    ("yes", False, [], Meaning()),
    ("aiuto", False, [], Meaning(KeywordMatch(HELP, "it"))),
    ("HELP", False, [], Meaning(KeywordMatch(HELP, "en"))),
    ("info", True, [], Meaning(KeywordMatch(HELP, ""))),
    ("2", False, OFFERED, Meaning(chosen_option=opt.INSTALMENTS)),
    (" 3. ", False, OFFERED, Meaning(chosen_option=opt.PROMISE)),
    ("1)", False, OFFERED, Meaning(chosen_option=opt.PAY_NOW)),
    ("4", False, OFFERED, Meaning()),  # no fourth option: for the conversation
    ("2", False, [], Meaning()),
    ("basta con questi messaggi", False, [], Meaning()),  # words, not the keyword alone
    ("please stop writing", False, [], Meaning()),
    ("ho già pagato", False, OFFERED, Meaning()),
]


@pytest.mark.parametrize(("text", "opted_out", "offered", "expected"), TABLE)
def test_a_whole_message_means_one_thing(
    text: str, opted_out: bool, offered: list[dict[str, str]], expected: Meaning
) -> None:
    assert meaning(text, opted_out=opted_out, offered=offered) == expected


def test_a_button_is_its_data_and_media_are_never_a_keyword() -> None:
    assert meaning("STOP", button=opt.PAY_NOW) == Meaning(chosen_option=opt.PAY_NOW)
    assert meaning("stop", has_media=True, offered=OFFERED) == Meaning()


def test_the_vocabulary_imports_nothing_impure() -> None:
    tree = ast.parse(Path(vocabulary.__file__).read_text())
    imported = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith(("bot", "scheduler", "tortoise", "jinja2")) for name in imported)


# What each confirmation tells the debtor to write next.
PROMISED = {
    "opt_out": {IN, HELP},
    "opt_in": {OUT},
    "help": {OUT, IN},
    "shared_opt_out": {IN},
    "shared_opt_in": {OUT},
}
CAPITALS = re.compile(r"\b[A-Z]{4,}\b")
NOT_WORDS_TO_WRITE = {"DOCTYPE", "HTML", "IBAN", "SEPA"}


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("channel", ["telegram", "sms", "whatsapp"])
def test_the_texts_name_the_words_the_vocabulary_knows(language: str, channel: str) -> None:
    for name, promised in PROMISED.items():
        text = render(
            f"optout/{name}.txt",
            language,
            company="Acme",
            reply_to="",
            names=["Rossi", "Bianchi"],
            channel=channel,
        )
        named = set(CAPITALS.findall(text))
        found = {w: vocabulary.match_keyword(w, opted_out=False) for w in named}
        assert all(found.values()), (name, found)
        assert {m.keyword for m in found.values() if m} == promised, (name, named)
        assert all(m.language in ("", language) for m in found.values() if m), (name, found)


@pytest.mark.parametrize("language", ["it", "en"])
def test_no_debtor_text_names_a_word_the_vocabulary_does_not_know(language: str) -> None:
    """A capitalised word a debtor is told to write ("STOP", "AIUTO") is a keyword; staff texts
    (their own commands) aside."""
    for path in (TEMPLATES_DIR / language).rglob("*.txt"):
        if path.relative_to(TEMPLATES_DIR / language).parts[0] == "staff":
            continue
        for word in set(CAPITALS.findall(path.read_text())) - NOT_WORDS_TO_WRITE:
            assert vocabulary.match_keyword(word, opted_out=False), (path, word)


def test_an_option_keyword_is_never_a_keyword_it_could_not_reach() -> None:
    """A whole message that is a keyword never reaches the conversation: no option lists one
    (the vocabulary refuses to load otherwise)."""
    for key in vocabulary.OPTION_WORDS:
        for language in vocabulary.LANGUAGES:
            for word in vocabulary.written_option_words(key, language):
                assert not vocabulary.is_keyword(vocabulary.normalise(word)), (key, word)
    assert vocabulary.option_words("plan_count", 3) >= {"3 rate", "in 3 rate", "3 instalments"}
    assert vocabulary.option_words("pay_now") >= {"paga", "pay now"}
    assert vocabulary.option_words("invoice") == frozenset()


# Through the real webhooks: (text, opted out first?) -> (opted out after?, reply template).
THROUGH_WEBHOOKS = [
    ("basta", False, True, "optout/opt_out.txt"),
    ("Unsubscribe", False, True, "optout/opt_out.txt"),
    ("START", True, False, "optout/opt_in.txt"),
    ("Sì", True, False, "optout/opt_in.txt"),
    ("aiuto", False, False, "optout/help.txt"),
    ("Help", False, False, "optout/help.txt"),
]


@pytest.fixture
async def stack(settings: Settings, db: str) -> AsyncIterator[Stack]:
    async with webhook_stack(settings) as built:
        yield built


async def deliver(stack: Stack, channel: Channel, text: str, update_id: int) -> None:
    if channel is Channel.TELEGRAM:
        response = await stack.telegram_post(encode(message_update(update_id, LINKED_CHAT, text)))
    else:
        sender = DEBTOR_PHONE if channel is Channel.SMS else f"whatsapp:{DEBTOR_PHONE}"
        to = SMS_FROM if channel is Channel.SMS else WHATSAPP_FROM
        form = stack.twilio.inbound_params(sender, to, text, message_sid=f"SM{update_id:032d}")
        response = await stack.twilio_post(INBOUND_PATH, form)
    assert response.status_code == 200


CHANNELS = [Channel.TELEGRAM, Channel.SMS, Channel.WHATSAPP]


@pytest.mark.parametrize("channel", CHANNELS)
async def test_the_same_word_does_the_same_on_every_channel(stack: Stack, channel: Channel) -> None:
    for update_id, (text, before, after, template) in enumerate(THROUGH_WEBHOOKS, start=1):
        await ContactPoint.filter(channel=channel).update(opted_out_at=NOW if before else None)
        await deliver(stack, channel, text, update_id)
        point = await ContactPoint.get(channel=channel)
        assert (point.opted_out_at is not None) is after, text
        answer = await Message.filter(direction=Direction.OUTBOUND).order_by("-id").first()
        assert answer is not None and answer.template == template, text
        assert answer.channel is channel
        inbound = await Message.get(
            idempotency_key=f"{channel.value}:in:{_sid(channel, update_id)}"
        )
        assert inbound.status is MessageStatus.HANDLED


def _sid(channel: Channel, update_id: int) -> str:
    return str(update_id) if channel is Channel.TELEGRAM else f"SM{update_id:032d}"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_bare_number_picks_from_the_last_list_on_every_channel(
    stack: Stack, channel: Channel
) -> None:
    point = await ContactPoint.get(channel=channel)
    await Message.create(
        debtor_id=stack.debtor.id,
        contact_point=point,
        direction=Direction.OUTBOUND,
        channel=channel,
        body="Promemoria",
        options=OFFERED,
        status=MessageStatus.SENT,
    )
    await deliver(stack, channel, "2", 77)
    inbound = await Message.get(direction=Direction.INBOUND)
    assert inbound.chosen_option == opt.INSTALMENTS
    assert inbound.status is MessageStatus.HANDLED
    assert (await ContactPoint.get(channel=channel)).opted_out_at is None


@pytest.mark.parametrize("channel", CHANNELS)
async def test_staff_hear_when_a_keyword_closes_the_last_channel(
    stack: Stack, channel: Channel
) -> None:
    await ContactPoint.exclude(channel=channel).update(opted_out_at=NOW)
    await deliver(stack, channel, "basta", 31)
    await deliver(stack, channel, "basta", 31)  # the provider's redelivery changes nothing
    [alert] = await Message.filter(audience="staff")
    assert alert.template == "staff/opted_out_everywhere.txt"
    assert alert.context["channel"] == channel.value
    assert alert.context["total_cents"] == stack.invoice.amount_cents
    assert not (await ContactPoint.get(channel=channel)).reachable

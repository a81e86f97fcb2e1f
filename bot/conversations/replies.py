"""A step's replies as texts to send: the templates rendered at the edge of the pure flows.

The flows (bot/flows/) say what to answer as `ReplySpec`s, a template's name and its context,
and name the options they offer by key (`Choice`: a key, its label's template and the data the
label shows); here they become `Reply`s, with the text in the debtor's language, the options'
labels (templates/<lang>/flows/options/) and, where the template has a `.sms.txt` form beside
it, the same reply written for SMS. `filled` supplies what only the effects produce (the
payment link's URL, `ReplySpec.fills`). The labels as a debtor may type them go to the flows
the other way, with their context (`label_words`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from jinja2 import meta

from bot.channels.base import Attachment, Option
from bot.config import SUPPORTED_LANGUAGES
from bot.flows.context import ReplySpec
from bot.flows.options import Choice
from bot.flows.vocabulary import fold
from bot.texts import environment, render, template_exists


@dataclass(frozen=True)
class Reply:
    """What a flow says: text plus options; each channel renders options its own way."""

    text: str
    options: tuple[Option, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    template: str = ""
    # The same reply written for a narrow channel (SMS), where the template has a `.sms.txt` form.
    short_text: str = ""


def reply(
    template: str, language: str, options: tuple[Option, ...] = (), **context: object
) -> Reply:
    """A reply written at the edge (not by the flows), its options already labelled."""
    short = _sms_form(template)
    return Reply(
        text=render(template, language, **context),
        options=options,
        template=template,
        short_text=render(short, language, **context) if template_exists(language, short) else "",
    )


def _sms_form(template: str) -> str:
    return template.removesuffix(".txt") + ".sms.txt"


def render_reply(spec: ReplySpec, language: str, filled: dict[str, Any] | None = None) -> str:
    """The text of a reply; `filled` must supply every key in `spec.fills`."""
    missing = [key for key in spec.fills if key not in (filled or {})]
    if missing:
        raise KeyError(f"{spec.template} needs {', '.join(missing)} from the engine")
    return render(spec.template, language, **spec.context, **(filled or {}))


def render_replies(
    specs: list[ReplySpec], language: str, filled: dict[str, object] | None = None
) -> list[Reply]:
    """The pure flows' replies (bot/flows/states.py) as texts to send.

    `filled` supplies what the effects produced, e.g. {"pay_url": ...} for a MakePayLink.
    """
    return [
        Reply(
            text=render_reply(spec, language, filled),
            options=rendered_options(spec.options, language),
            attachments=spec.attachments,
            template=spec.template,
            short_text=_short_text(spec, language, filled),
        )
        for spec in specs
    ]


def _short_text(spec: ReplySpec, language: str, filled: dict[str, object] | None) -> str:
    """The reply's SMS form (templates/<lang>/<name>.sms.txt), or "" when it has none."""
    short = _sms_form(spec.template)
    if not template_exists(language, short):
        return ""
    return render_reply(replace(spec, template=short), language, filled)


# Option labels ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def option_label(choice: Choice, language: str) -> str:
    """The label a debtor reads: templates/<lang>/flows/options/<template>.txt with its data.
    Labels are asked for on every step; the same few are rendered once."""
    return render(f"flows/options/{choice.template}.txt", language, **dict(choice.data))


def rendered_options(choices: tuple[Choice, ...], language: str) -> tuple[Option, ...]:
    return tuple(Option(key=choice.key, label=option_label(choice, language)) for choice in choices)


@lru_cache(maxsize=256)
def _label_shows_data(template: str, language: str) -> bool:
    """Whether the label needs data other than a count (a date): then it is not a keyword."""
    env = environment()
    name = f"{language}/flows/options/{template}.txt"
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    needed = meta.find_undeclared_variables(env.parse(source))
    return bool(needed - {"count", "money", "date", "language"})


@lru_cache(maxsize=4096)
def _typed_label_words(choice: Choice, language: str) -> frozenset[str]:
    # The label shown, and the label in every language when it shows no data but a count:
    # "pay now" works for an Italian debtor; a label with a date is never typed as is.
    words = {fold(option_label(choice, language))}
    for other in SUPPORTED_LANGUAGES:
        if not _label_shows_data(choice.template, other):
            plain = Choice(choice.key, choice.template, (("count", choice.count),))
            words.add(fold(option_label(plain, other)))
    words.discard("")
    return frozenset(words)


_KEPT = 4096


class LabelWords(Mapping[Choice, frozenset[str]]):
    """The options' labels as a debtor in `language` may type them, folded, for the flows
    (`FlowContext.label_words`): each choice's rendered on first use, then kept."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._seen: dict[Choice, frozenset[str]] = {}

    def __getitem__(self, choice: Choice) -> frozenset[str]:
        if not isinstance(choice, Choice):
            raise KeyError(choice)
        if choice not in self._seen:
            if len(self._seen) >= _KEPT:  # invoices and dates come and go: start afresh
                self._seen.clear()
            self._seen[choice] = _typed_label_words(choice, self.language)
        return self._seen[choice]

    def __iter__(self) -> Iterator[Choice]:
        return iter(list(self._seen))

    def __len__(self) -> int:
        return len(self._seen)


@lru_cache(maxsize=8)
def label_words(language: str) -> LabelWords:
    """The one `LabelWords` of a language (the labels do not change while the process runs)."""
    return LabelWords(language)

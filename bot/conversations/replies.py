"""A step's replies as texts to send: the templates rendered at the edge of the pure flows.

The flows (bot/flows/) say what to answer as `ReplySpec`s, a template's name and its context;
here they become `Reply`s, with the text in the debtor's language and, where the template has a
`.sms.txt` form beside it, the same reply written for SMS. `filled` supplies what only the
effects produce (the payment link's URL, `ReplySpec.fills`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.channels.base import Attachment, Option
from bot.flows.context import ReplySpec
from bot.texts import render, template_exists


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
            options=spec.options,
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

"""The credit policy: a TOML file (English keys) -> validated, immutable objects.

Amounts are written in euros (`min_instalment = 50.00`) and held as integer cents: the file is read
with Decimal for every number with a fraction, so no float ever touches money. Every error names the
key path (`steps[2].channels[0]`) and says what is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import holidays
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.enums import Channel
from bot.policy_credit import Credit
from bot.policy_interest import Interest
from bot.policy_payments import PaymentsPolicy, RibaPolicy, check_riba_step

if TYPE_CHECKING:
    pass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(Exception):
    """The policy file is unreadable or invalid. `errors` holds one line per problem."""

    def __init__(self, path: Path | str, errors: list[str]) -> None:
        self.path = str(path)
        self.errors = errors
        count = f"{len(errors)} error" + ("s" if len(errors) != 1 else "")
        super().__init__(f"{self.path}: {count}\n" + "\n".join(f"  {e}" for e in errors))


def _to_cents(value: Any) -> int:
    """Euros as written in TOML (50, 50.5, 1234.56, "1234.56") -> integer cents, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("an amount in euros, such as 50 or 1234.56")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("an amount in euros, such as 50 or 1234.56") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("an amount in euros of zero or more")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("an amount with at most two decimals")
    return int(cents)


Cents = Annotated[int, BeforeValidator(_to_cents)]


def _to_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError('a time of day such as "09:00"')


TimeOfDay = Annotated[dt.time, BeforeValidator(_to_time)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Step(_Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    days: int = Field(ge=-60, le=365)  # relative to the due date; negative: courtesy reminder
    template: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    channels: tuple[Channel, ...] = Field(min_length=1)
    offer: Literal["discount", "plan"] | None = None
    escalate: bool = False  # raise a staff alert when this step is sent
    formal: bool = False  # a formal notice: a PEC address is preferred for e-mail
    # Once this step's message has gone out, the case is handed to a collector or a lawyer
    # (scheduler/policy_handoff.py, bot/escalation/outsourcing.py): nothing more is sent.
    handoff: bool = False

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each channel at most once")
        return value

    @property
    def courtesy(self) -> bool:
        return self.days < 0


class Discount(_Section):
    percent: Decimal = Field(gt=0, le=50)
    valid_days: int = Field(ge=1, le=90)
    staff_approval_above_cents: Cents = Field(alias="staff_approval_above")


class Instalments(_Section):
    counts: tuple[int, ...] = (2, 3, 6)  # what the debtor is offered
    max_count: int = Field(default=6, ge=2, le=36)
    min_instalment_cents: Cents = Field(alias="min_instalment")
    max_length_days: int = Field(default=180, ge=30, le=1095)
    interval_days: int = Field(default=30, ge=7, le=92)
    staff_approval_above_cents: Cents = Field(alias="staff_approval_above")
    grace_days: int = Field(default=5, ge=0, le=60)

    @model_validator(mode="after")
    def _counts_within_max(self) -> Instalments:
        if not self.counts or any(c < 2 or c > self.max_count for c in self.counts):
            raise ValueError(f"counts must be whole numbers from 2 to max_count ({self.max_count})")
        return self


class QuietHours(_Section):
    start: TimeOfDay = dt.time(9, 0)
    end: TimeOfDay = dt.time(19, 0)
    weekdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")

    @field_validator("weekdays")
    @classmethod
    def _known_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [day for day in value if day not in WEEKDAYS]
        if bad or not value:
            raise ValueError("one or more of " + ", ".join(WEEKDAYS))
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _start_before_end(self) -> QuietHours:
        if self.start >= self.end:
            raise ValueError("start must come before end")
        return self

    @property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.weekdays)


class Calendar(_Section):
    country: str = "IT"
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known_country(self) -> Calendar:
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError("country must be an ISO code the holidays package knows, e.g. IT")
        if self.subdivision and self.subdivision not in supported[self.country]:
            raise ValueError(
                f"subdivision {self.subdivision!r} is not one of {self.country}'s: "
                + ", ".join(supported[self.country][:12])
                + ("..." if len(supported[self.country]) > 12 else "")
            )
        return self


ChatLinkKind = Literal["telegram", "whatsapp"]


class Contact(_Section):
    cap_per_7_days: int = Field(default=3, ge=1, le=21)
    sms_segment_budget: int = Field(default=2, ge=1, le=10)
    # The way to answer: reminders on SMS, WhatsApp and e-mail, and the pay page, carry these chat
    # links next to the pay link (an SMS carries the first one available: segments cost money).
    # "telegram" is the debtor's signed deep link, "whatsapp" the click-to-chat link to the
    # company's WhatsApp number. Empty: no chat links.
    chat_links: tuple[ChatLinkKind, ...] = ("telegram", "whatsapp")
    # The first message to a phone number that has never written to us says who writes and asks,
    # should the number not be the debtor's, to tell us; it carries no personal Telegram link.
    first_contact_asks_for_person: bool = True

    @field_validator("chat_links")
    @classmethod
    def _distinct_links(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each chat link at most once")
        return value


class Promises(_Section):
    max_days: int = Field(default=30, ge=1, le=180)


class AlreadyPaid(_Section):
    pause_days: int = Field(default=7, ge=1, le=60)


class Reminders(_Section):
    """What a reminder lists and how the steps follow each other (scheduler/steps.py)."""

    # Invoices not yet due, next to an overdue reminder: on a separate "in scadenza" line, or
    # left out. Never in the overdue total, never in a formal notice.
    not_yet_due: Literal["separate", "omit"] = "separate"
    # Steps are walked in order; a debtor met late gets them at least this many days apart.
    min_days_between_steps: int = Field(default=7, ge=1, le=60)


# Consent (issue 14, item 8) -------------------------------------------------------------------


class Consent(_Section):
    """The lawful basis for writing by SMS and e-mail. WhatsApp always needs a recorded opt-in
    (its Business Policy); with "consent", SMS and e-mail need one too; with "contract", the
    contract with the debtor is the basis for SMS and e-mail (GDPR art. 6.1.b)."""

    lawful_basis: Literal["contract", "consent"] = "contract"


class Notice(_Section):
    """The formal notice (diffida ad adempiere): the days the debtor is given to pay."""

    deadline_days: int = Field(default=15, ge=1, le=90)


class Policy(_Section):
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    steps: tuple[Step, ...] = Field(min_length=1)
    discount: Discount | None = None
    instalments: Instalments
    quiet_hours: QuietHours = QuietHours()
    calendar: Calendar = Calendar()
    contact: Contact = Contact()
    promises: Promises = Promises()
    already_paid: AlreadyPaid = AlreadyPaid()
    reminders: Reminders = Reminders()
    consent: Consent = Consent()
    credit: Credit = Credit()  # risk bands and their effects (bot/policy_credit.py)
    interest: Interest = Interest()  # late-payment interest, the €40 (bot/policy_interest.py)
    # Reversed payments and SEPA Direct Debit; RiBa insoluti (bot/policy_payments.py)
    payments: PaymentsPolicy = PaymentsPolicy()
    riba: RibaPolicy = RibaPolicy()
    notice: Notice = Notice()  # the formal notice (bot/escalation/notice.py)

    @field_validator("steps")
    @classmethod
    def _ordered_and_distinct(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        names = [step.name for step in steps]
        if len(set(names)) != len(names):
            raise ValueError("step names must be distinct")
        days = [step.days for step in steps]
        if len(set(days)) != len(days):
            raise ValueError("two steps fall on the same day; each step needs its own day")
        return tuple(sorted(steps, key=lambda step: step.days))

    @model_validator(mode="after")
    def _offers_have_rules(self) -> Policy:
        for step in self.steps:
            if step.offer == "discount" and self.discount is None:
                raise ValueError(f"step {step.name!r} offers a discount but [discount] is missing")
        return self

    @model_validator(mode="after")
    def _riba_step_known(self) -> Policy:
        check_riba_step(self.riba, [step.name for step in self.steps])
        return self

    def step_named(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + part
    return path or "(top level)"


def _explain(error: dict[str, Any]) -> str:
    loc = tuple(part for part in error["loc"] if part not in ("function-after",))
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key; check its spelling"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "enum":
        message = "expected one of " + ", ".join(c.value for c in Channel)
    elif kind == "string_pattern_mismatch":
        message = "expected lower-case letters, digits and _ (at most 40), starting with a letter"
    value = error.get("input")
    if isinstance(value, Decimal):
        value = float(value) if value == value.to_integral_value() else str(value)
    hidden = kind == "missing" or isinstance(value, dict | list | tuple)
    shown = "" if hidden else f" (got {value!r})"
    return f"{_key_path(loc)}: {message}{shown}"


def _explain_all(errors: list[Any]) -> list[str]:
    """One line per root cause: an error on a container whose items already failed is noise."""
    locs = [tuple(e["loc"]) for e in errors]
    kept = [
        e
        for e, loc in zip(errors, locs, strict=True)
        if not any(other != loc and other[: len(loc)] == loc for other in locs)
    ]
    return [_explain(e) for e in kept]


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_LAST_PART = re.compile(r"(\[\d+\]|\.?[^.\[]+)$")


def key_lines(text: str) -> dict[str, int]:
    """Where each key and table of a policy file is written: "steps[2].channels" -> its line.

    Enough TOML for a policy file (tables, arrays of tables, `key = value` lines); tomllib has
    already said the file is valid TOML, and gives no positions of its own."""
    lines: dict[str, int] = {}
    table = ""
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if found := _ARRAY_TABLE.match(line):
            name = found.group(1)
            table = f"{name}[{seen.get(name, 0)}]"
            seen[name] = seen.get(name, 0) + 1
            lines.setdefault(table, number)
            lines.setdefault(name, number)  # an error about the whole array: its first table
        elif found := _TABLE.match(line):
            table = found.group(1)
            lines.setdefault(table, number)
        elif found := _KEY.match(line):
            lines.setdefault(f"{table}.{found.group(1)}" if table else found.group(1), number)
    return lines


def _line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of a key path, or of the nearest table or key that holds it."""
    while path:
        if path in lines:
            return lines[path]
        path = _LAST_PART.sub("", path)
    return None


def _with_line(error: str, lines: dict[str, int]) -> str:
    line = _line_of(error.split(":", 1)[0], lines)
    return f"line {line}: {error}" if line is not None else error


def parse_policy(text: str, source: str = "policy") -> Policy:
    """The policy in `text`; PolicyError names the file, the line, the key and why."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = key_lines(text)
        explained = _explain_all(list(exc.errors()))
        # In the order they are written in the file.
        explained.sort(key=lambda e: _line_of(e.split(":", 1)[0], lines) or 0)
        raise PolicyError(source, [_with_line(e, lines) for e in explained]) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(path, ["file not found; set POLICY_FILE or copy policy.toml"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, [f"cannot read it: {exc}"]) from None
    return parse_policy(text, str(path))


# Checks that need more than the file (templates, segment budgets) register here; `policy check`
# prints what they return as warnings.
PolicyCheck = Callable[[Policy], list[str]]
EXTRA_CHECKS: list[PolicyCheck] = []


def policy_warnings(policy: Policy) -> list[str]:
    found: list[str] = []
    for check in EXTRA_CHECKS:
        found.extend(check(policy))
    return found

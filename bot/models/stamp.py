"""The created_at / updated_at column stamped from the product's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from tortoise import fields

from bot import clock


class Stamp(fields.DatetimeField):
    """A `created_at` (`on="create"`) or `updated_at` (`on="save"`) column, stamped from the
    product's clock (bot/clock.py).

    Tortoise's own auto-now stamps read the wall clock while the rules read `runtime.now()`; with
    this field a stamp and a rule time are the same clock, in production and in a test that moves
    time.
    """

    def __init__(self, on: Literal["create", "save"], **kwargs: Any) -> None:
        super().__init__(**{_AUTO[on]: True}, **kwargs)
        self.on = on

    def to_db_value(self, value: Any, instance: Any) -> Any:
        unset = getattr(instance, self.model_field_name, None) is None
        if hasattr(instance, "_saved_in_db") and (self.on == "save" or unset):
            stamp: dt.datetime = clock.now()
            setattr(instance, self.model_field_name, stamp)
            return stamp
        return super().to_db_value(value, instance)

    # The column is a DatetimeField's, and migrations must see it as one: an AlterField would make
    # Tortoise rebuild SQLite tables for nothing (and drop their unique constraints on the way).
    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        _, args, kwargs = super().deconstruct()
        kwargs.pop("on")
        kwargs |= {"auto_now": self.auto_now, "auto_now_add": self.auto_now_add}
        return "tortoise.fields.data.DatetimeField", args, kwargs

    def describe(self, serializable: bool) -> dict[str, Any]:
        description = super().describe(serializable)
        if serializable:
            description["field_type"] = "DatetimeField"
        return description


_AUTO = {"create": "auto_now_add", "save": "auto_now"}

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0014_notice")]

    initial = False

    operations = [
        ops.CreateModel(
            name="BankCredit",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("provider_ref", fields.CharField(unique=True, max_length=255)),
                ("status", fields.CharField(default="unmatched", max_length=16)),
                ("file_name", fields.CharField(default="", max_length=255)),
                ("line_no", fields.IntField(default=0)),
                ("booked_on", fields.DateField()),
                ("value_date", fields.DateField(null=True)),
                ("amount_cents", fields.BigIntField()),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                ("debtor_name", fields.CharField(default="", max_length=140)),
                ("debtor_iban", fields.CharField(default="", db_index=True, max_length=34)),
                ("end_to_end_id", fields.CharField(default="", max_length=64)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "debtor",
                    fields.ForeignKeyField(
                        "models.Debtor",
                        source_field="debtor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="bank_credits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "payment",
                    fields.ForeignKeyField(
                        "models.Payment",
                        source_field="payment_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="bank_credits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("assigned_by_id", fields.IntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "bank_credit",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A credit line of an imported statement (CSV, camt, CBI). `provider_ref` is the line's",
            },
            bases=["Model"],
        ),
    ]

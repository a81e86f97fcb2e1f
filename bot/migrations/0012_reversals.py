from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.enums import PaymentMethod, ReversalKind, ReversalStatus, RibaOutcome
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_writeoff')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentReversal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', null=True, db_constraint=True, to_field='id', related_name='reversals', on_delete=OnDelete.RESTRICT)),
                ('payment_ref', fields.CharField(db_index=True, max_length=255)),
                ('kind', fields.CharEnumField(description='REFUND: refund\nDISPUTE: dispute\nDEBIT_FAILED: debit_failed\nRIBA_UNPAID: riba_unpaid', enum_type=ReversalKind, max_length=16)),
                ('status', fields.CharEnumField(description='WAITING: waiting\nAPPLIED: applied\nRESTORED: restored\nVOID: void', enum_type=ReversalStatus, max_length=16)),
                ('amount_cents', fields.BigIntField()),
                ('undone', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('unallocated_cents', fields.BigIntField(default=0)),
                ('reason', fields.CharField(default='', max_length=255)),
                ('final', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'payment_reversal', 'app': 'models', 'pk_attr': 'id', 'table_description': "Part or all of a payment going back. `key` is the provider's id for it (Stripe refund or"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RibaItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='riba_items', on_delete=OnDelete.RESTRICT)),
                ('outcome', fields.CharEnumField(description='PAID: paid\nUNPAID: unpaid\nRECALLED: recalled', enum_type=RibaOutcome, max_length=16)),
                ('amount_cents', fields.BigIntField()),
                ('fees_cents', fields.BigIntField(default=0)),
                ('due_date', fields.DateField()),
                ('source', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'riba_item', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One RiBa outcome from an esiti flow, applied once (its key is built from the record).'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Payment',
            name='method',
            field=fields.CharEnumField(description='STRIPE: stripe\nBANK_TRANSFER: bank_transfer\nMANUAL: manual\nRIBA: riba', enum_type=PaymentMethod, max_length=16),
        ),
    ]

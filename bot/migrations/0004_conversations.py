from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.models import ClaimStatus, RequestStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_pay_link_session')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DiscountRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='discount_requests', on_delete=OnDelete.CASCADE)),
                ('balance_cents', fields.BigIntField()),
                ('amount_cents', fields.BigIntField()),
                ('percent', fields.CharField(max_length=8)),
                ('valid_until', fields.DateField()),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('invoice_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=RequestStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected', enum_type=RequestStatus, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_by', fields.ForeignKeyField('models.StaffMember', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decided_discounts', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'discount_request', 'app': 'models', 'pk_attr': 'id', 'table_description': "A discount above the policy's threshold, waiting for staff before the debtor gets a link."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentClaim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='payment_claims', on_delete=OnDelete.CASCADE)),
                ('paid_on', fields.DateField(null=True)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('invoice_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ClaimStatus.PENDING, description='PENDING: pending\nCONFIRMED: confirmed\nNOT_FOUND: not_found', enum_type=ClaimStatus, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_by', fields.ForeignKeyField('models.StaffMember', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decided_claims', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_claim', 'app': 'models', 'pk_attr': 'id', 'table_description': "'I already paid': the date, an optional receipt, and staff's verdict."},
            bases=['Model'],
        ),
    ]

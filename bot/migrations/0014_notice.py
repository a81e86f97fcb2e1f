from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.enums import NoticeChannel, NoticeStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_payment_methods')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FormalNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='formal_notices', on_delete=OnDelete.CASCADE)),
                ('protocol', fields.CharField(unique=True, max_length=16)),
                ('year', fields.SmallIntField()),
                ('sequence', fields.IntField()),
                ('cycle_key', fields.CharField(unique=True, max_length=200)),
                ('step', fields.CharField(default='', max_length=64)),
                ('status', fields.CharEnumField(default=NoticeStatus.PENDING, description='PENDING: pending\nNO_ADDRESS: no_address\nAPPROVED: approved\nSENT: sent\nSKIPPED: skipped', enum_type=NoticeStatus, max_length=16)),
                ('language', fields.CharField(default='it', max_length=2)),
                ('issued_on', fields.DateField()),
                ('deadline', fields.DateField()),
                ('claim', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('principal_cents', fields.BigIntField(default=0)),
                ('interest_cents', fields.BigIntField(default=0)),
                ('compensation_cents', fields.BigIntField(default=0)),
                ('total_cents', fields.BigIntField(default=0)),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('pdf_path', fields.CharField(default='', max_length=500)),
                ('channel', fields.CharEnumField(null=True, description='PEC: pec\nEMAIL: email', enum_type=NoticeChannel, max_length=8)),
                ('address', fields.CharField(default='', max_length=255)),
                ('decided_by', fields.ForeignKeyField('models.StaffMember', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='notices_decided', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='formal_notices', on_delete=OnDelete.SET_NULL)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'formal_notice', 'app': 'models', 'unique_together': (('year', 'sequence'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

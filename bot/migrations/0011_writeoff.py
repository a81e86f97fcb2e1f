"""Write-offs (issue 18): the write_off and write_off_line tables, Invoice.written_off_cents,
StaffMember.writeoff_limit_cents, the payment methods staff record by hand and the plan status
written_off."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.enums import PaymentMethod, PlanStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_fatturapa')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WriteOff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='write_offs', on_delete=OnDelete.RESTRICT)),
                ('amount_cents', fields.BigIntField()),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('reason', fields.TextField(unique=False)),
                ('actor', fields.CharField(max_length=100)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='write_offs', on_delete=OnDelete.SET_NULL)),
                ('written_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'write_off', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WriteOffLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('write_off', fields.ForeignKeyField('models.WriteOff', source_field='write_off_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='write_off_lines', on_delete=OnDelete.RESTRICT)),
                ('amount_cents', fields.BigIntField()),
            ],
            options={'table': 'write_off_line', 'app': 'models', 'unique_together': (('write_off', 'invoice'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invoice',
            name='written_off_cents',
            field=fields.BigIntField(default=0),
        ),
        ops.AlterField(
            model_name='Payment',
            name='method',
            field=fields.CharEnumField(description='STRIPE: stripe\nBANK_TRANSFER: bank_transfer\nMANUAL: manual\nCASH: cash\nCHEQUE: cheque\nOFFSET: offset\nTRANSFER: transfer\nOTHER: other', enum_type=PaymentMethod, max_length=16),
        ),
        ops.AddField(
            model_name='StaffMember',
            name='writeoff_limit_cents',
            field=fields.BigIntField(default=0),
        ),
        ops.AlterField(
            model_name='PaymentPlan',
            name='status',
            field=fields.CharEnumField(default=PlanStatus.PROPOSED, description='PROPOSED: proposed\nPENDING_APPROVAL: pending_approval\nCOUNTERED: countered\nACTIVE: active\nCOMPLETED: completed\nREJECTED: rejected\nDECLINED: declined\nBROKEN: broken\nWRITTEN_OFF: written_off', enum_type=PlanStatus, max_length=20),
        ),
    ]

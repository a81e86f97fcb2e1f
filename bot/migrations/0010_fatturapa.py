"""Issue 18: FatturaPA import and credit notes: the credit_note, invoice_document and debtor_address tables."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_pec')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=64)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='credit_notes', on_delete=OnDelete.RESTRICT)),
                ('invoice_number', fields.CharField(default='', db_index=True, max_length=64)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='credit_notes', on_delete=OnDelete.SET_NULL)),
                ('issue_date', fields.DateField()),
                ('amount_cents', fields.BigIntField()),
                ('applied_cents', fields.BigIntField(default=0)),
                ('currency', fields.CharField(default='EUR', max_length=3)),
                ('source', fields.CharField(default='csv', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'credit_note', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DebtorAddress',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debtor', fields.OneToOneField('models.Debtor', source_field='debtor_id', db_constraint=True, to_field='id', related_name='address', on_delete=OnDelete.CASCADE)),
                ('street', fields.CharField(default='', max_length=200)),
                ('postcode', fields.CharField(default='', max_length=10)),
                ('city', fields.CharField(default='', max_length=100)),
                ('province', fields.CharField(default='', max_length=2)),
                ('country', fields.CharField(default='IT', max_length=2)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'debtor_address', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invoice', fields.OneToOneField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='document', on_delete=OnDelete.CASCADE)),
                ('document_number', fields.CharField(db_index=True, max_length=64)),
                ('document_type', fields.CharField(max_length=4)),
                ('document_total_cents', fields.BigIntField(null=True)),
                ('instalment', fields.SmallIntField(default=1)),
                ('instalments', fields.SmallIntField(default=1)),
                ('payment_method', fields.CharField(default='', max_length=4)),
                ('iban', fields.CharField(default='', max_length=34)),
                ('split_payment', fields.BooleanField(default=False)),
                ('withholding_cents', fields.BigIntField(default=0)),
                ('file_name', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invoice_document', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

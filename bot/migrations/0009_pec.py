from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_interest')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PecMailbox',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mailbox', fields.CharField(unique=True, max_length=255)),
                ('uidvalidity', fields.BigIntField(default=0)),
                ('last_uid', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'pec_mailbox', 'app': 'models', 'pk_attr': 'id', 'table_description': "How far the mailbox has been read: the folder's UIDVALIDITY and the last UID taken."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PecReceipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='pec_receipts', on_delete=OnDelete.SET_NULL)),
                ('debtor', fields.ForeignKeyField('models.Debtor', source_field='debtor_id', null=True, db_constraint=True, to_field='id', related_name='pec_receipts', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharField(max_length=32)),
                ('receipt_key', fields.CharField(unique=True, max_length=255)),
                ('referenced_msgid', fields.CharField(default='', db_index=True, max_length=255)),
                ('identificativo', fields.CharField(default='', max_length=255)),
                ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recipient', fields.CharField(default='', max_length=255)),
                ('provider', fields.CharField(default='', max_length=255)),
                ('error', fields.CharField(default='', max_length=64)),
                ('error_text', fields.TextField(default='', unique=False)),
                ('eml_path', fields.CharField(default='', max_length=500)),
                ('xml_path', fields.CharField(default='', max_length=500)),
                ('imap_uid', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pec_receipt', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One receipt: its kind (X-Ricevuta), what it refers to and what its daticert.xml says.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Debtor',
            name='outsourced_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Debtor',
            name='outsourced_by',
            field=fields.CharField(default='', max_length=100),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_conversations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ParkedEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=48)),
                ('reason', fields.CharField(max_length=300)),
                ('payload', fields.TextField(unique=False)),
                ('payload_encoding', fields.CharField(default='utf-8', max_length=8)),
                ('fingerprint', fields.CharField(unique=True, max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('replayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('replay_outcome', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'parked_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An authentic webhook event that did not fit its schema: answered 2xx so the provider stops'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_whatsapp_consent')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Debtor',
            name='risk_band',
            field=fields.CharField(default='', max_length=8),
        ),
        ops.AddField(
            model_name='Debtor',
            name='risk_scored_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name='Debtor',
            name='erased_at',
            field=fields.DatetimeField(null=True),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models import PaymentStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invoice',
            name='discount_cents',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Payment',
            name='status',
            field=fields.CharEnumField(default=PaymentStatus.SUCCEEDED, description='PENDING: pending\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=PaymentStatus, max_length=16),
        ),
    ]

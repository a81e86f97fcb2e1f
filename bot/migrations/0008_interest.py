from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from bot.models import DebtorKind


class Migration(migrations.Migration):
    dependencies = [('models', '0007_credit_control')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Debtor',
            name='kind',
            field=fields.CharEnumField(default=DebtorKind.BUSINESS, description='BUSINESS: business\nCONSUMER: consumer', enum_type=DebtorKind, max_length=8),
        ),
        ops.AddField(
            model_name='Debtor',
            name='in_default_since',
            field=fields.DateField(null=True),
        ),
    ]

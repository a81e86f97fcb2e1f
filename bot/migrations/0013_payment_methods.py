from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.enums import PaymentMethod
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_reversals')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Payment',
            name='method',
            field=fields.CharEnumField(description='STRIPE: stripe\nBANK_TRANSFER: bank_transfer\nMANUAL: manual\nCASH: cash\nCHEQUE: cheque\nOFFSET: offset\nTRANSFER: transfer\nOTHER: other\nRIBA: riba', enum_type=PaymentMethod, max_length=16),
        ),
    ]

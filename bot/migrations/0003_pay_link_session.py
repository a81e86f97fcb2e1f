from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_payments')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PayLink',
            name='checkout_session_id',
            field=fields.CharField(default='', max_length=255),
        ),
    ]

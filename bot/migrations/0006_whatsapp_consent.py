from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_parked_events')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ContactPoint',
            name='opt_in_source',
            field=fields.CharField(default='', max_length=100),
        ),
    ]

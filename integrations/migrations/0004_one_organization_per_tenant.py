# The constraint gets its own migration: on PostgreSQL an index cannot be created in the transaction that
# just changed rows with deferred foreign-key checks (the data move in 0003).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_tenant_on_connection'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='connection',
            constraint=models.UniqueConstraint(condition=models.Q(('tenant_guid', ''), _negated=True), fields=('tenant_guid',), name='one_organization_per_tenant', violation_error_message='This Microsoft 365 tenant is already connected to Overlap.'),
        ),
    ]

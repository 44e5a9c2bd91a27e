"""A credit request keeps the session it was asked from, and closes with it
(the data of older requests: 0006)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0004_credits_spent'),
        ('hubs', '0004_offers_with_consent_one_price'),
    ]

    operations = [
        migrations.AddField(
            model_name='creditrequest',
            name='booking',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.booking'),
        ),
        migrations.AlterField(
            model_name='creditrequest',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting'), ('approved', 'Approved'), ('declined', 'Declined'), ('closed', 'Closed')], default='pending', max_length=10),
        ),
    ]

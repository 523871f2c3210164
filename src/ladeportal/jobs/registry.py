"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them.

- alerts.jobs: opens and resolves alerts, tells the admins who opted in
- auth.jobs: removes expired login codes and portal sessions
- billing.jobs: "billing.stripe_event", Stripe webhook events; reminders to finish the payments set-up
- members.local_list_sync: "ocpp.sync_local_list", SendLocalList to an organisation's chargers
- messaging.email: "email.send", e-mail through the configured provider; old delivery records removed
- messaging.sms: "sms.send", SMS through the configured provider
- pricing.spot_jobs: day-ahead spot prices, fetched daily with retries
"""

import ladeportal.alerts.jobs
import ladeportal.auth.jobs
import ladeportal.billing.jobs
import ladeportal.members.local_list_sync
import ladeportal.messaging.email
import ladeportal.messaging.sms
import ladeportal.pricing.spot_jobs  # noqa: F401

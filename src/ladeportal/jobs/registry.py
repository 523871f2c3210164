"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them.

- auth.jobs: removes expired login codes and portal sessions
- members.local_list_sync: "ocpp.sync_local_list", SendLocalList to an organisation's chargers
- messaging.sms: "sms.send", SMS through the configured provider
- pricing.spot_jobs: day-ahead spot prices, fetched daily with retries
"""

import ladeportal.auth.jobs
import ladeportal.members.local_list_sync
import ladeportal.messaging.sms
import ladeportal.pricing.spot_jobs  # noqa: F401

"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them."""

import ladeportal.auth.jobs  # noqa: F401  (removes expired login codes and sessions)
import ladeportal.members.local_list_sync  # noqa: F401  ("ocpp.sync_local_list": SendLocalList to chargers)
import ladeportal.messaging.sms  # noqa: F401  ("sms.send" outbox tasks)
import ladeportal.pricing.spot_jobs  # noqa: F401  (daily day-ahead spot prices)

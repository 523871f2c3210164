"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them."""

import ladeportal.auth.jobs
import ladeportal.members.local_list_sync
import ladeportal.messaging.sms
import ladeportal.pricing.spot_jobs  # noqa: F401  (daily day-ahead spot prices)

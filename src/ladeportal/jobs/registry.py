"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them."""

import ladeportal.auth.jobs
import ladeportal.messaging.sms  # noqa: F401  (sends "sms.send" outbox tasks)

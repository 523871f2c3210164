"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them."""

import ladeportal.auth.jobs  # noqa: F401  (purges old login codes and sessions)
import ladeportal.messaging.sms  # noqa: F401  (sends "sms.send" outbox tasks)

"""Imports every module that registers outbox handlers or periodic jobs, so the worker knows them.

- alerts.jobs: opens and resolves alerts, tells the admins who opted in
- auth.jobs: removes expired login codes and portal sessions
- billing.jobs: "billing.stripe_event", Stripe webhook events; reminders to finish the payments set-up
- billing.invoice_runs: opens each organisation's monthly invoice run on its invoice day (approves it when allowed)
- billing.invoice_execution: "billing.invoice_run", an approved run's invoices made at Stripe, members
  told; runs left without a task resumed every 15 minutes
- billing.invoice_sync: invoice.* Stripe events: an invoice re-read (paid, payment failed, void)
- billing.credits: credits left pending while Stripe was out of reach, finished with the same keys
- billing.overdue: reminders after an invoice's due date; blocked members' local lists updated
- billing.payouts: payout.* Connect events: an owner's payout re-read and stored
- guests.jobs: a guest's start after the card hold, capture or release after the session, checkout events
- members.local_list_sync: "ocpp.sync_local_list", SendLocalList to an organisation's chargers
- messaging.email: "email.send", e-mail through the configured provider; old delivery records removed
- messaging.sms: "sms.send", SMS through the configured provider
- pricing.spot_jobs: day-ahead spot prices, fetched daily with retries
- reports.jobs: report aggregates brought up to date with changed sessions, every minute
- terms.notices: e-mail to administrators when terms are published and reminders before their date
- subscriptions.execution: "subscriptions.quarter_run", a quarter's subscription invoices counted and made
- subscriptions.sync: invoice.* Stripe events about the platform's own subscription invoices
"""

import ladeportal.alerts.jobs
import ladeportal.auth.jobs
import ladeportal.billing.credits
import ladeportal.billing.invoice_execution
import ladeportal.billing.invoice_runs
import ladeportal.billing.invoice_sync
import ladeportal.billing.jobs
import ladeportal.billing.overdue
import ladeportal.billing.payouts
import ladeportal.guests.jobs
import ladeportal.members.local_list_sync
import ladeportal.messaging.email
import ladeportal.messaging.sms
import ladeportal.pricing.spot_jobs
import ladeportal.reports.jobs
import ladeportal.subscriptions.execution
import ladeportal.subscriptions.sync
import ladeportal.terms.notices  # noqa: F401

"""Every table of every area, imported in one place for Alembic and the migrations check."""

from ladeportal.chargers.models import ChargePoint, ChargerLocalList, CommissioningState, Connector
from ladeportal.db.base import Base
from ladeportal.jobs.models import OutboxTask, PeriodicJobRun
from ladeportal.members.models import (
    GroupSite,
    IdTag,
    Membership,
    MembershipState,
    Role,
    TagState,
    User,
    UserGroup,
)
from ladeportal.orgs.models import Organization, OrgKind, Site
from ladeportal.platform.models import AuditEvent, OperatorAccount

__all__ = [
    "AuditEvent",
    "Base",
    "ChargePoint",
    "ChargerLocalList",
    "CommissioningState",
    "Connector",
    "GroupSite",
    "IdTag",
    "Membership",
    "MembershipState",
    "OperatorAccount",
    "OrgKind",
    "Organization",
    "OutboxTask",
    "PeriodicJobRun",
    "Role",
    "Site",
    "TagState",
    "User",
    "UserGroup",
]

from ladeportal.platform.api_tokens import ApiToken

__all__ += ["ApiToken"]

# Issue 3 (OCPP central system): charger history and charging sessions.
from ladeportal.chargers.history_models import (  # noqa: E402
    ChargerCommand,
    ChargerNotification,
    ConnectorStatusEvent,
    UnknownTagSighting,
)
from ladeportal.sessions.models import ChargingSession, MeterReading, OrphanMessage, SessionReview  # noqa: E402

__all__ += [
    "ChargerCommand",
    "ChargerNotification",
    "ChargingSession",
    "ConnectorStatusEvent",
    "MeterReading",
    "OrphanMessage",
    "UnknownTagSighting",
]
__all__ += ["SessionReview"]

from ladeportal.auth.models import LoginCode, PortalSession  # noqa: E402

__all__ += ["LoginCode", "PortalSession"]

# Issue 6 (pricing): plans, versions, assignments, session pricing records, spot prices.
from ladeportal.pricing.models import (  # noqa: E402
    GroupPricePlan,
    PricePlan,
    PricePlanVersion,
    PublicPricePlan,
    SessionPriceCorrection,
    SessionPricing,
    SpotPriceFetch,
    SpotPriceInterval,
)

__all__ += [
    "GroupPricePlan",
    "PricePlan",
    "PricePlanVersion",
    "PublicPricePlan",
    "SessionPriceCorrection",
    "SessionPricing",
    "SpotPriceFetch",
    "SpotPriceInterval",
]

# Login and messaging hardening: trusted browsers, the organisations' SMS history.
from ladeportal.auth.models import SendLimitKey, TrustedDevice  # noqa: E402
from ladeportal.messaging.models import OrgSmsSend  # noqa: E402

__all__ += ["OrgSmsSend", "SendLimitKey", "TrustedDevice"]

# E-mail: what became of each e-mail sent.
from ladeportal.messaging.email_models import EmailDelivery  # noqa: E402

__all__ += ["EmailDelivery"]

# Alerts: open problems, the organisations' thresholds, the admins' channels and who was told.
from ladeportal.alerts.models import Alert, AlertNotification, AlertPreference, AlertSettings  # noqa: E402

__all__ += ["Alert", "AlertNotification", "AlertPreference", "AlertSettings"]

# Payments: owners' Stripe Connect accounts, received Stripe events, invoicing switch dates, reminders.
from ladeportal.billing.models import InvoicingSwitchDate, PaymentReminder, StripeAccount, StripeEvent  # noqa: E402

__all__ += ["InvoicingSwitchDate", "PaymentReminder", "StripeAccount", "StripeEvent"]

# Invoicing members: settings, billable items, runs, invoices, credits, reminders, payouts.
from ladeportal.billing.invoice_models import (  # noqa: E402
    BillableItem,
    BillingCustomer,
    BillingSettings,
    Credit,
    Invoice,
    InvoicedItem,
    InvoiceReminder,
    InvoiceRun,
    Payout,
)

__all__ += [
    "BillableItem",
    "BillingCustomer",
    "BillingSettings",
    "Credit",
    "Invoice",
    "InvoiceReminder",
    "InvoiceRun",
    "InvoicedItem",
    "Payout",
]

# Reports: each finished session's share of each local day, and the daily and hourly sums of those.
from ladeportal.reports.models import (  # noqa: E402
    ReportDaily,
    ReportMonthly,
    ReportMonthlyBy,
    ReportMonthlyHour,
    ReportSessionDay,
    ReportSiteHour,
    ReportWatermark,
)

__all__ += [
    "ReportDaily",
    "ReportMonthly",
    "ReportMonthlyBy",
    "ReportMonthlyHour",
    "ReportSessionDay",
    "ReportSiteHour",
    "ReportWatermark",
]

# The end-user app: phones signed in, members' app identities, starts from the app.
from ladeportal.enduser.models import AppSession, AppStartRequest, AppTag  # noqa: E402

__all__ += ["AppSession", "AppStartRequest", "AppTag"]

# Terms with the platform company: versions, acceptances, extended dates, notices sent.
from ladeportal.terms.models import TermsAcceptance, TermsExtension, TermsNotice, TermsVersion  # noqa: E402

__all__ += ["TermsAcceptance", "TermsExtension", "TermsNotice", "TermsVersion"]

# The platform's subscription: plans, each organisation's plan, quarter runs and their invoices.
from ladeportal.subscriptions.models import (  # noqa: E402
    OrgSubscription,
    SubscriptionInvoice,
    SubscriptionPlan,
    SubscriptionRun,
)

__all__ += ["OrgSubscription", "SubscriptionInvoice", "SubscriptionPlan", "SubscriptionRun"]

# Guest charging: sites and chargers open to guests, stickers' codes, guests' card-paid charges.
from ladeportal.guests.models import GuestCharge, GuestConnectorCode, GuestOpening, GuestSettings  # noqa: E402

__all__ += ["GuestCharge", "GuestConnectorCode", "GuestOpening", "GuestSettings"]

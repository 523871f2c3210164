"""Alerts in words, in a given language: the subject line pages and SMS show for each alert."""

from __future__ import annotations

from ladeportal.alerts import kinds
from ladeportal.alerts.listing import AlertView
from ladeportal.i18n import N_, translations
from ladeportal.i18n.formatting import local_datetime

SMS_ONE = N_("Ladeportal, «%(org)s»: %(alert)s. %(url)s")
SMS_MANY = N_("Ladeportal, «%(org)s»: %(num)d new alerts: %(alerts)s. %(url)s")
CONNECTOR = N_("%(charger)s, connector %(number)d")
SESSION = N_("%(charger)s, session %(number)d")
SINCE = N_("since %(when)s")
# An SMS names this many alerts; the link shows the rest.
SMS_NAMED = 3


def subject(alert: AlertView, language: str) -> str:
    gettext = translations(language).gettext
    charger = alert.charger_label or ""
    if alert.connector_number is not None:
        return gettext(CONNECTOR) % {"charger": charger, "number": alert.connector_number}
    if alert.session_id is not None:
        return gettext(SESSION) % {"charger": charger, "number": alert.session_id}
    return charger or (alert.detail or "")


def one_line(alert: AlertView, language: str) -> str:
    """ "Charger offline: Plass 3 (since 15.03.2026, 13:00)" in the person's language and the site's clock."""
    gettext = translations(language).gettext
    since = gettext(SINCE) % {"when": local_datetime(alert.opened_at, alert.time_zone, language=language)}
    return f"{gettext(kinds.LABELS[alert.kind])}: {subject(alert, language)} ({since})"


def sms_text(org_name: str, alerts: list[AlertView], language: str, url: str) -> str:
    t = translations(language)
    if len(alerts) == 1:
        return t.gettext(SMS_ONE) % {"org": org_name, "alert": one_line(alerts[0], language), "url": url}
    named = "; ".join(one_line(a, language) for a in alerts[:SMS_NAMED])
    if len(alerts) > SMS_NAMED:
        named += " …"
    return t.gettext(SMS_MANY) % {"org": org_name, "num": len(alerts), "alerts": named, "url": url}

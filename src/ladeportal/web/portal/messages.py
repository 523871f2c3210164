"""Messages raised by the domain areas that the portal shows translated.

Errors with a code are translated by it (error_texts.py). The others are English sentences (the API
returns them as they are); listing the fixed ones here puts them into the message catalogue, so
`forms.field_errors` can show them in the user's language. Messages with values in them (names,
numbers) stay English until their areas give them codes.
"""

from ladeportal.i18n import N_

DOMAIN_MESSAGES = (
    N_("A charger has between 1 and 10 connectors."),
    N_("Max power must be between 1 and 400 kW."),
    N_("Give the token a name (what uses it)."),
    N_("Scopes must be among read, write."),
    N_("No such charger."),
    N_("No such token."),
    N_("A retired charger cannot change state; add it again."),
    # chargers/maintenance.py and chargers/remote.py
    N_("Enter a full address that starts with http://, https:// or ftp://."),
    N_("Choose a date and time."),
    N_("No such member."),
    N_("This member has no active tag, so a session cannot be started for them. Give them a tag first."),
    N_("The charger is not active."),
    N_("This member may not charge at this charger (blocked, expired or not in a group that may use it)."),
    N_("No such session."),
    N_("The session has already ended."),
)

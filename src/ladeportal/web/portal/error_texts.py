"""Domain errors in the reader's language, by their stable code.

A domain error that a page shows carries a code ("member.phone_invalid") and the values its sentence
needs; TEXTS holds the sentence for each code with named placeholders, translated by the catalogue
and filled with the values, amounts written the reader's way (100 000 in bokmål, 100,000 in
English), moments in the given time zone and spans of the week with the reader's day names. An
error without a known code is shown by its message, through the catalogue, and logged as a warning.
tests/portal/test_portal_error_texts.py checks that every code raised in src has a sentence here and
its bokmål translation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.i18n.formatting import local_datetime, number
from ladeportal.pricing.validation import WeekSpan, describe_week_span

log = logging.getLogger(__name__)

TEXTS: dict[str, str] = {
    "login.code_wrong": N_("The code is wrong or has expired. Check the SMS or ask for a new code."),
    "login.number_held_back": N_("Too many codes were requested for this number. Wait a while and try again."),
    "login.network_held_back": N_("Too many codes were requested from your network. Wait a while and try again."),
    "member.phone_required": N_("The mobile number is required."),
    "member.phone_malformed": N_("%(phone)s is not a phone number."),
    "member.phone_invalid": N_("%(phone)s is not a valid phone number."),
    "member.phone_not_mobile": N_("%(phone)s is not a mobile number; the login code is sent by SMS."),
    "member.already_member": N_("%(phone)s is already a member of this organisation."),
    "member.not_member": N_("%(phone)s is not a member of this organisation."),
    "member.invite_too_soon": N_("An invitation was sent less than 10 minutes ago; try again in %(minutes)s min."),
    "email.invalid": N_("%(address)s is not an e-mail address."),
    "text.too_long": N_("At most %(limit)s characters."),
    "group.name_taken": N_("A group named %(name)s already exists."),
    "tag.uid_invalid": N_("%(uid)s is not an RFID UID (8-20 hexadecimal digits, e.g. 04A1B2C3)."),
    "tag.already_registered": N_("Tag %(uid)s is already registered."),
    "tag.registered_elsewhere": N_("Tag %(uid)s is registered to another organisation."),
    "tag.group_missing": N_("No group named «%(group)s»."),
    "import.rows_have_errors": N_("%(count)s row(s) have errors; fix them, or import the valid rows only."),
    "import.duplicate_column": N_("Two columns mean the same thing (%(column)s): keep one of them."),
    "import.missing_columns": N_("Missing column(s) %(columns)s. Accepted headers: %(accepted)s."),
    "import.csv_malformed": N_("The CSV file is malformed near line %(line)s: %(problem)s."),
    "import.same_number": N_("The same number as line %(line)s."),
    "import.group_missing": N_("No group named «%(group)s»; create it first."),
    "import.tag_repeated": N_("Tag %(uid)s is also on line %(line)s."),
    "import.not_a_member": N_("%(phone)s is not a member; add the member first."),
    "import.date_invalid": N_("%(value)s is not a date (use 2026-12-31 or 31.12.2026)."),
    "price.required": N_("Required."),
    "price.not_an_amount": N_("%(value)s is not an amount; write it like 2,50."),
    "price.amount_negative": N_("Must not be negative."),
    "price.amount_too_large": N_("%(amount)s is more than the highest amount allowed, %(maximum)s."),
    "price.amount_fraction": N_("At most two decimals (whole øre)."),
    "price.minimum_above_maximum": N_("The minimum %(minimum)s is above the maximum %(maximum)s."),
    "site.name_required": N_("The site name is required."),
    "site.name_too_long": N_("The site name is at most 120 characters."),
    "site.name_taken": N_("A site named %(name)s already exists."),
    "site.grid_limit_range": N_("The grid limit must be between 1 and 10000 A."),
    "site.grid_phases": N_("The grid connection has 1 or 3 phases."),
    "site.price_area_unknown": N_("%(area)s is not a price area; use one of %(areas)s."),
    "site.price_area_elsewhere": N_("Price area %(area)s is not in %(country)s."),
    "site.not_found": N_("No such site."),
    "price.area_unknown": N_("Choose a price area."),
    "price.floor_above_ceiling": N_("The floor %(floor)s is above the ceiling %(ceiling)s."),
    "price.grace_minutes_invalid": N_("Give whole minutes, 0 or more."),
    "price.grace_minutes_too_many": N_("At most %(limit)s minutes (a week)."),
    "price.whole_number_required": N_("Give a whole number."),
    "price.hours_invalid": N_("Give hours like 08-22."),
    "price.time_invalid": N_("Give a time like 06:00."),
    "price.weekdays_required": N_("Tick at least one day."),
    "price.bands_required": N_("Add at least one band."),
    "price.bands_too_many": N_("At most %(limit)s bands."),
    "price.bands_gap": N_("No band covers %(span)s; the bands must cover the whole week."),
    "price.bands_overlap": N_("Bands %(bands)s overlap on %(span)s; each minute needs exactly one band."),
    "plan.name_required": N_("The plan needs a name."),
    "plan.name_taken": N_("A price plan named %(name)s already exists."),
    "plan.not_found": N_("No such price plan."),
    "plan.version_not_found": N_("No such version of this price plan."),
    "plan.archived": N_("The plan is archived."),
    "plan.archived_new_version": N_("The plan is archived; create a new plan instead."),
    "plan.still_assigned": N_(
        "The plan is still used %(count)s time(s); give those groups and sites another plan first."
    ),
    "plan.version_in_force": N_("This version is already in force; add a new version to change the prices."),
    "plan.version_used": N_("%(count)s session(s) were priced with this version; it cannot be withdrawn."),
    "plan.version_moment_taken": N_("Another version already takes effect at %(when)s."),
    "plan.sessions_already_priced": N_(
        "%(count)s finished session(s) are already priced with this plan from then on (the latest started "
        "%(latest)s). Past sessions never change: choose a moment after that."
    ),
    "plan.changed_meanwhile": N_("Someone else changed this plan at the same moment; try again."),
    "assignment.group_none": N_("The group has no plan there."),
    "assignment.public_none": N_("There is no public plan there."),
    "quote.no_version_in_force": N_("The plan has no prices yet at %(when)s; pick a later start."),
    "quote.ends_before_start": N_("The session ends before it starts."),
    "quote.too_long": N_("A quote covers at most 31 days."),
    "charger.identity_invalid": N_(
        "%(identity)s is not a valid charger identity: 1-48 letters, digits, '.', '_' or '-'."
    ),
    "charger.connectors_range": N_("A charger has between 1 and 10 connectors."),
    "charger.max_power_range": N_("Max power must be between 1 and 400 kW."),
    "charger.identity_taken": N_("A charger with identity %(identity)s already exists."),
    "charger.not_found": N_("No such charger."),
    "charger.ref_not_found": N_("No charger %(ref)s in this organisation."),
    "charger.retired": N_("A retired charger cannot change state; add it again."),
    "charger.subprotocol_unknown": N_("Unknown subprotocol %(subprotocol)s; use one of %(supported)s."),
    "charger.address_invalid": N_("Enter a full address that starts with http://, https:// or ftp://."),
    "charger.moment_required": N_("Choose a date and time."),
    "charger.not_active": N_("The charger is not active."),
    "charger.not_connected": N_("The charger is not connected."),
    "charger.no_answer": N_("The charger did not answer within %(seconds)s s."),
    "charger.some_missing": N_("One or more chargers do not exist in this organisation."),
    "remote.member_without_tag": N_(
        "This member has no active tag, so a session cannot be started for them. Give them a tag first."
    ),
    "remote.connector_required": N_("Choose a connector."),
    "remote.access_denied": N_(
        "This member may not charge at this charger (blocked, expired or not in a group that may use it)."
    ),
    "session.not_found": N_("No such session."),
    "session.already_ended": N_("The session has already ended."),
    "org.number_length_no": N_("A Norwegian organisation number has 9 digits."),
    "org.number_check_digit_no": N_("%(number)s is not a valid Norwegian organisation number (check digit)."),
    "org.number_length_se": N_("A Swedish organisation number has 10 digits."),
    "org.number_check_digit_se": N_("%(number)s is not a valid Swedish organisation number (check digit)."),
    "org.country_unsupported": N_("Unsupported country %(country)s; use NO or SE."),
    "org.legal_name_required": N_("The legal name is required."),
    "org.kind_unknown": N_("Unknown kind %(kind)s; use one of %(kinds)s."),
    "org.vat_rate_range": N_("The VAT rate must be between 0 and 100 %%."),
    "org.currency_unsupported": N_("Unsupported currency %(currency)s."),
    "org.number_taken": N_("An organisation with number %(number)s already exists."),
    "org.not_found": N_("No such organisation."),
    "org.ref_not_found": N_("No organisation with id or number %(ref)s."),
    "site.time_zone_unknown": N_("Unknown time zone %(time_zone)s (use e.g. Europe/Oslo)."),
    "site.ref_not_found": N_("No site %(ref)s in this organisation."),
    "site.some_missing": N_("One or more sites do not exist in this organisation."),
    "plan.amount_not_text": N_('Write the amount as text like "2.50", not %(value)s.'),
    "plan.whole_numbers_required": N_("Give a list of whole numbers."),
    "plan.object_required": N_("%(name)s must be an object with named fields."),
    "plan.vat_included_required": N_("Say whether the prices include VAT (true or false)."),
    "plan.currency_unsupported": N_("%(currency)s is not a supported currency; use one of %(currencies)s."),
    "plan.vat_rate_range": N_("The VAT rate %(rate)s is not between 0 and 10000 basis points (2500 = 25 %%)."),
    "plan.bands_list_required": N_("The bands must be a list."),
    "plan.energy_type_unknown": N_("%(type)s is not a kind of energy price; use one of %(types)s."),
    "group.default_undeletable": N_("The default group cannot be deleted; members without a group belong to it."),
    "group.default_missing": N_("The organisation has no default group."),
    "group.not_found": N_("No such group."),
    "group.ref_not_found": N_("No group %(ref)s in this organisation."),
    "group.name_required": N_("The group name is required."),
    "group.name_too_long": N_("The group name is at most 80 characters."),
    "group.description_too_long": N_("The description is at most 500 characters."),
    "member.some_missing": N_("One or more members do not exist in this organisation."),
    "member.not_found": N_("No such member."),
    "member.last_admin": N_(
        "The organisation needs at least one administrator: make someone else an administrator first."
    ),
    "member.not_blocked": N_("The member is not blocked."),
    "member.own_role": N_("You cannot change your own role; ask another administrator."),
    "invite.channel_unknown": N_("Choose SMS, e-mail or both."),
    "invite.member_blocked": N_("The member is blocked; unblock them before sending an invitation."),
    "invite.already_logged_in": N_("The member has already logged in."),
    "invite.no_email": N_("The invitation cannot go by e-mail: the member has no e-mail address or e-mail is off."),
    "import.members_changed": N_("Members changed while the file was imported; run the import again."),
    "import.tags_changed": N_("Tags changed while the file was imported; run the import again."),
    "import.file_too_large": N_("The file is larger than 20 MB."),
    "import.file_empty": N_("The file is empty."),
    "import.format_unsupported": N_("Save the sheet as CSV or XLSX (Excel workbook) and upload it again."),
    "import.no_header": N_("The file has no header row."),
    "import.too_many_rows": N_("The file has more than %(limit)s rows; split it into smaller files."),
    "import.encoding_damaged": N_("The file's text encoding is damaged; save it again as CSV UTF-8."),
    "import.not_text": N_("This is not a text (CSV) file; upload CSV or XLSX."),
    "import.line_too_wide": N_("Line %(line)s has more than %(limit)s columns."),
    "import.row_too_wide": N_("more values than columns in the header"),
    "import.cell_too_long": N_("%(column)s: longer than %(limit)s characters"),
    "import.xlsx_old_or_protected": N_(
        "The workbook is password-protected or in the old .xls format; save it as an XLSX workbook "
        "without a password, or as CSV."
    ),
    "import.not_xlsx": N_("The file is not a valid XLSX workbook; save it again from Excel, or upload CSV."),
    "import.no_sheet": N_("The workbook has no sheet."),
    "import.xlsx_damaged": N_(
        "The XLSX workbook could not be read (it may be damaged); save it again from Excel, or upload CSV."
    ),
    "import.sheet_too_long": N_("The sheet has more than %(limit)s rows; split the file."),
    "import.xlsx_password": N_("The workbook is password-protected; save it without a password."),
    "import.xlsx_too_large": N_("The workbook is larger than %(megabytes)s MB unpacked; split the file."),
    "import.sheet_row_too_wide": N_("Row %(line)s has more than %(limit)s columns."),
    "import.tag_taken": N_("Tag %(uid)s already belongs to someone else here."),
    "tag.owner_required": N_("Give either a member's mobile number or a group (for a visitor key)."),
    "tag.uid_required": N_("The RFID UID is required."),
    "tag.owner_conflict": N_("A tag belongs to a member, or is a visitor key of a group."),
    "tag.member_and_group": N_("A member's tag follows the member's group; give a member or a group."),
    "tag.label_too_long": N_("The label is at most 80 characters."),
    "tag.expiry_needs_zone": N_("The expiry needs a time zone."),
    "tag.not_found": N_("No such tag."),
    "tag.group_choice_required": N_("Choose the group the visitor key belongs to."),
    "tag.member_phone_required": N_("Give the member's mobile number."),
    "tag.expiry_date_invalid": N_("Give the expiry as a date, e.g. 2026-12-31."),
    "token.name_required": N_("Give the token a name (what uses it)."),
    "token.scopes_unknown": N_("Scopes must be among %(scopes)s."),
    "token.not_found": N_("No such token."),
    "payments.switched_off": N_("Payments are not set up on this platform yet; contact the platform operator."),
    "payments.stripe_unavailable": N_("Stripe cannot be reached right now. Try again in a few minutes."),
    "payments.stripe_rejected": N_(
        "Stripe refused the request (%(stripe_code)s). Try again, or contact the platform operator if it happens again."
    ),
    "payments.webhook_signature": N_("The Stripe signature does not match this event."),
    "payments.onboarding_not_done": N_(
        "Finish the Stripe onboarding first; the dashboard opens once the details are submitted."
    ),
    "payments.staff_only": N_("Only platform staff set invoicing switch dates."),
    "payments.no_orgs": N_("Choose at least one organisation."),
    "payments.switch_date_past": N_("The switch date %(date)s is in the past."),
    "payments.switch_date_invalid": N_("Enter the date as 2027-01-31, or leave it empty to remove the switch date."),
    "payments.too_many_orgs": N_("At most %(limit)s organisations at a time."),
    "payments.date_or_clear": N_("Give either --date YYYY-MM-DD or --clear."),
    "payments.date_invalid": N_("%(value)s is not a date (YYYY-MM-DD)."),
    "invoicing.invoice_not_found": N_("No such invoice."),
    "invoicing.stripe_total_mismatch": N_(
        "Stripe's invoice adds up to %(stripe_total)s øre, ours to %(total)s; it was not sent."
    ),
    "invoicing.credit_amount": N_("The amount must be more than zero."),
    "invoicing.credit_reason": N_("Give a reason of 1 to %(max)s characters."),
    "invoicing.credit_too_much": N_("At most %(left)s %(currency)s is left to credit on this invoice."),
    "invoicing.credit_kind": N_(
        "An open invoice is credited with a credit note; a paid invoice is refunded to the card."
    ),
    "invoicing.credit_state": N_("Only an open or paid invoice can be credited."),
    "invoicing.credit_no_payment": N_("The invoice was not paid by card, so there is nothing to refund."),
    "invoicing.credit_not_found": N_("No such credit."),
    "invoicing.payments_not_ready": N_(
        "The organisation's Stripe account cannot take payments yet; finish the set-up under Settings, Payments."
    ),
    "invoicing.month_invalid": N_("Give the month as YYYY-MM, e.g. 2026-11."),
    "invoicing.amount_invalid": N_("%(value)s is not an amount; write it like 125,50."),
    "invoicing.amount_too_large": N_("At most %(maximum)s kr."),
    "invoicing.amount_positive": N_("The amount must be more than 0."),
    "invoicing.amount_zero": N_("The amount must not be 0."),
    "invoicing.reason_required": N_("Give a reason."),
    "invoicing.description_required": N_("Describe the item."),
    "invoicing.whole_number": N_("Give a whole number."),
    "invoicing.invoice_day": N_("The invoice day is a day of the month from %(min)s to %(max)s."),
    "invoicing.days_until_due": N_("Days until due: a whole number from %(min)s to %(max)s."),
    "invoicing.minimum_amount": N_("The minimum amount is between %(min)s and %(max)s øre."),
    "invoicing.block_after_days": N_("Block charging after a whole number of days from %(min)s to %(max)s."),
    "invoicing.reminder_days": N_("Reminder days: up to %(count)s whole numbers from 1 to %(max)s."),
    "invoicing.text_too_long": N_("At most %(limit)s characters."),
    "invoicing.line_mode": N_("Choose one line per session or one line per site and month."),
    "invoicing.setting_unknown": N_("Unknown invoicing setting."),
    "invoicing.staff_only": N_("Only platform staff set the platform fee."),
    "invoicing.platform_fee": N_("The platform fee is between 0 and 10000 basis points (100 = 1 %%)."),
    "invoicing.item_description": N_("Describe the item in 1 to %(limit)s characters."),
    "invoicing.item_amount": N_("The amount must not be 0 and at most %(limit)s kr."),
    "invoicing.item_vat_rate": N_("The VAT rate is between 0 and 10000 basis points (2500 = 25 %%)."),
    "invoicing.run_not_found": N_("No such invoice run."),
    "invoicing.period_not_ended": N_("Only a month that has ended can be invoiced."),
    "invoicing.run_already_approved": N_("The invoice run is already approved."),
    "invoicing.run_in_progress": N_("Another invoice run is still being made; try again when it is done."),
    "invoicing.claim_conflict": N_("The member's items changed while the invoice was made; try again."),
    "plan.monthly_fee_basis_unknown": N_("%(basis)s is not a way to bill the monthly fee; use one of %(bases)s."),
    "search.offset_range": N_("The offset is out of range."),
    "export.format_unknown": N_("Export as %(formats)s."),
    "search.page_size_range": N_("The page size is between 1 and %(limit)s."),
    "search.page_range": N_("Pages are numbered from 1."),
    "search.state_unknown": N_("Unknown state %(state)s; use one of %(states)s."),
    "member.role_unknown": N_("Unknown role %(role)s; use one of %(roles)s."),
    "member.language_unknown": N_("Unknown language %(language)s; use one of %(languages)s."),
    "group.choice_invalid": N_("Choose a group from the list."),
    "page.not_found": N_("No such page."),
    "plan.invalid": N_("The price plan has %(count)s problem(s)."),
    "price.amount_not_finite": N_("%(value)s is not a finite amount; write it like 2,50."),
    "price.amount_too_precise": N_("At most %(decimals)s decimals."),
    "plan.energy_price_unknown": N_("Unknown kind of energy price."),
    "alerts.offline_minutes_range": N_("A charger counts as offline after between 5 and 1440 minutes."),
    "alerts.channel_invalid": N_("Choose off, SMS or e-mail."),
    "alerts.email_missing": N_("Alerts by e-mail need an e-mail address on your membership."),
    "alerts.not_an_admin": N_("Only administrators receive alerts."),
    "charger.command_malformed": N_("The command %(action)s is malformed: %(problem)s."),
    "charger.command_unknown": N_("Unknown command %(action)s; use one of %(actions)s."),
    "charger.max_power_whole": N_("Max power must be a whole number of kW."),
    "charger.protocol_uncommandable": N_("The charger speaks %(protocol)s, which this server cannot command."),
    "charger.site_required": N_("Choose the site the charger is installed at."),
    "cli.moment_invalid": N_("%(value)s is not an ISO 8601 time."),
    "command.availability_required": N_("Choose available or unavailable."),
    "command.reset_type_required": N_("Choose a soft or a hard restart."),
    "command.unknown": N_("Unknown command."),
    "date.out_of_range": N_("Give a date between 1970 and 2199."),
    "email.switched_off": N_("E-mail is switched off: set LADEPORTAL_EMAIL_PROVIDER to smtp (or console)."),
    "email.template_invalid": N_("%(template)s is not an e-mail template name."),
    "email.template_missing": N_("There is no e-mail template %(template)s."),
    "export.not_found": N_("No such export."),
    "form.choice_invalid": N_("Choose a value from the list."),
    "group.scope_required": N_("Choose at least one site or charger, or let the group use all sites."),
    "onboarding.admin_name_required": N_("The administrator's name is required."),
    "person.already_anonymised": N_("The person is already anonymised."),
    "person.anonymise_needs_yes": N_("Anonymising cannot be undone; add --yes to confirm."),
    "person.confirm_required": N_("Confirm that this cannot be undone."),
    "person.kept": N_("The person cannot be anonymised: %(reasons)s."),
    "person.not_found": N_("No such person."),
    "person.staff_only": N_("Only platform staff anonymise a person."),
    "quote.energy_and_samples": N_("Give energy_wh or meter_samples, not both."),
    "quote.energy_required": N_("Give energy_wh (0 or more) or meter_samples."),
    "quote.energy_too_large": N_("energy_wh is at most %(limit)s (1 GWh)."),
    "quote.sample_invalid": N_("Each sample needs a time with a zone and a register of 0 Wh or more."),
    "quote.samples_too_many": N_("At most %(limit)s meter samples."),
    "remote.member_required": N_("Choose a member."),
    "sessions.date_invalid": N_("Give the date as YYYY-MM-DD, e.g. 2026-03-31."),
    "sessions.dates_reversed": N_("The end date is before the start date."),
    "sessions.export_format": N_("Export as CSV or XLSX."),
    "sessions.export_too_many": N_("Too many sessions for one file: choose a shorter period."),
    "sessions.search_too_long": N_("Search with at most 100 characters."),
    "site.grid_limit_whole": N_("The grid limit must be a whole number of amperes."),
    "spot.currency_not_published": N_("Prices of %(area)s are published in %(currencies)s, not %(currency)s."),
    "spot.file_invalid": N_("The price file cannot be read: %(problem)s"),
    "spot.range_in_future": N_("Prices are published one day ahead at most: %(last)s is after %(tomorrow)s."),
    "spot.range_reversed": N_("The range ends (%(last)s) before it starts (%(first)s)."),
    "spot.range_too_long": N_("%(count)s days asked for; at most %(limit)s at a time."),
    "time.zone_required": N_("%(name)s needs a time zone (e.g. 2026-05-01T18:00:00+02:00)."),
    "user.not_found": N_("No such user."),
    "session.not_flagged": N_("The session has no flagged meter values."),
    "session.already_reviewed": N_("The session's meter values are already reviewed."),
    "invite.sms_limit": N_("Too many SMS went to this number or from this organisation today; try again later."),
    "reports.date_invalid": N_("Give the date as YYYY-MM-DD, e.g. 2026-03-31."),
    "reports.since_required": N_("Choose the first day."),
    "reports.dates_reversed": N_("The end date is before the start date."),
    "reports.range_too_long": N_("A report covers at most %(days)s days."),
    # The end-user app (residents).
    "app.session_not_found": N_("No such signed-in phone."),
    "app.membership_not_found": N_("No such membership."),
    "app.charger_not_found": N_("No such charger."),
    "app.start_key_missing": N_("Reload the page and try again."),
    "app.start_invoice_overdue": N_("Charging is blocked because an invoice is overdue. Pay it to charge again."),
    "app.start_not_allowed": N_(
        "You may not charge at this charger (your access is blocked, expired or does not include it)."
    ),
    "app.connector_busy": N_("Someone is already charging or starting at this connector."),
    "app.charger_offline": N_("The charger is offline. Try again later or use your card."),
    "app.start_not_found": N_("No such start."),
    "app.stop_offline": N_("The charger is offline, so it cannot be stopped from here. Unplug the car to stop."),
    "app.stop_no_answer": N_("The charger did not answer. Try again in a moment."),
    "app.tag_not_found": N_("No such card."),
    "app.tag_already_blocked": N_("This card is already blocked."),
    "reports.month_invalid": N_("Give the month as YYYY-MM, e.g. 2026-03."),
    # Guest charging at public chargers.
    "guest.not_open": N_("This charger is not open to guests."),
    "guest.charge_not_found": N_("No such charge."),
    "guest.already_paid": N_("This charge is already paid."),
    "guest.payments_not_ready": N_("The organisation's Stripe account cannot take card payments yet."),
    "guest.no_public_plan": N_("Guests need a public price plan here first (Prices, public prices)."),
    "guest.hold_out_of_range": N_("The amount reserved must be a whole amount between %(low)s and %(high)s."),
    "guest.checkout_closed": N_("This payment page has closed. Scan the sticker to start again."),
    "guest.not_charging": N_("Charging has not started or has already ended."),
    # Terms with the platform company, and the operator console's actions.
    "terms.required": N_("This field is required."),
    "terms.date_invalid": N_("Enter a date."),
    "terms.kind_invalid": N_("Choose the kind of terms."),
    "terms.after_invalid": N_("Choose what happens after the date."),
    "terms.org_number_invalid": N_("The organisation number has 9 or 10 digits."),
    "terms.accept_after_effect": N_("The accept-by date must be on or before the date the terms take effect."),
    "terms.accept_by_past": N_("The accept-by date has passed; change the draft before publishing."),
    "terms.label_taken": N_("Version %(label)s of these terms exists already."),
    "terms.published": N_("A published version cannot be changed."),
    "terms.not_found": N_("These terms do not exist."),
    "terms.accept_person": N_("Only a signed-in administrator can accept terms."),
    "terms.nothing_to_accept": N_("There are no terms to accept."),
    "terms.superseded": N_("Newer terms were published meanwhile. Read them and accept again."),
    "terms.extension_not_later": N_("The new date must be later than the version's own date."),
    "staff.reason_required": N_("Give a reason; it is kept in the organisation's history."),
    "org.read_only_terms": N_("The portal is read-only until an administrator accepts the new terms."),
    "subscriptions.quarter_invalid": N_("Give the quarter as 2027-Q1."),
    "subscriptions.name_invalid": N_("Give the plan a name (at most 120 characters)."),
    "subscriptions.unit_invalid": N_("Choose per charger or per connector."),
    "subscriptions.currency_invalid": N_("The currency is NOK or SEK."),
    "subscriptions.proration_invalid": N_("Choose how chargers added during a quarter are billed."),
    "subscriptions.tiers_count": N_("Give between 1 and %(max)s price steps."),
    "subscriptions.tier_price": N_("The price of step %(tier)s is out of range."),
    "subscriptions.tier_last_open": N_('The last step has no upper limit: leave its "up to" empty.'),
    "subscriptions.tier_order": N_("Each step must end above the one before it."),
    "subscriptions.minimum_invalid": N_("The minimum per quarter is out of range."),
    "subscriptions.days_invalid": N_("Days until due must be between 1 and 90."),
    "subscriptions.plan_name_taken": N_("A plan with this name exists."),
    "subscriptions.plan_not_found": N_("There is no such plan."),
    "subscriptions.org_not_found": N_("No organisation has this number."),
    "subscriptions.collection_invalid": N_("Choose how the organisation pays."),
    "subscriptions.currency_mismatch": N_("The plan is in %(plan)s, the organisation pays in %(org)s."),
    "subscriptions.run_not_found": N_("There is no such run."),
    "subscriptions.amount_invalid": N_("Enter an amount such as 99 or 99,50."),
    "subscriptions.card_unavailable": N_("Card on file is not available yet; use invoice by e-mail."),
}

# Day names from Monday, as a span of the week is written ("man 06:00-07:00").
DAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
ACROSS_DAYS = N_("%(start)s to %(end)s")


def _shown(value: Any, time_zone: str) -> str:
    if isinstance(value, datetime):
        return local_datetime(value, time_zone)
    if isinstance(value, WeekSpan):
        days = tuple(gettext(day) for day in DAY_NAMES)
        return describe_week_span(value.start, value.end, days, gettext(ACROSS_DAYS))
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        exponent = value.normalize().as_tuple().exponent
        digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return number(value, digits=min(digits, 6))
    return number(value)


def coded_text(code: str | None, params: Mapping[str, Any], *, time_zone: str = "UTC") -> str | None:
    """The sentence for `code` in the reader's language, or None when the code has none; moments in
    `params` are shown in `time_zone`."""
    template = TEXTS.get(code) if code else None
    if template is None:
        return None
    return gettext(template) % {key: _shown(value, time_zone) for key, value in params.items()}


def error_text(exc: DomainError, fallback: Callable[[str], str] = gettext, *, time_zone: str = "UTC") -> str:
    """What a page shows for `exc`: by its code when known, else its message through `fallback`."""
    return coded_text(exc.code, exc.params, time_zone=time_zone) or uncoded_text(exc.message, exc.code, fallback)


def uncoded_text(message: str, code: str | None, fallback: Callable[[str], str] = gettext) -> str:
    """The last resort for an error without a known code: its English message through `fallback`,
    with a warning naming it, so a missing code shows up in the logs instead of only on a page."""
    log.warning("error shown without a known code (code %r): %s", code, message)
    return fallback(message)

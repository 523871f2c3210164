"""Reports on usage and revenue: daily and hourly aggregates kept from finished sessions, and the reports
read from them (by period, site, charger, group and member; load profile; bought vs. sold)."""

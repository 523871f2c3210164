"""Alerts: what is wrong at an organisation's installation right now, and who is told about it.

models (the tables), kinds (what can be wrong and how it is named), detection (opens and resolves
alerts from the chargers', sessions' and spot prices' own tables), listing (the open alerts a page
shows), preferences (the organisation's offline threshold, each admin's channel), notification
(grouped SMS or e-mail to the admins who asked for them) and jobs (the periodic job that runs both).
"""

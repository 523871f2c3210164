"""People, their memberships in organisations, user groups and RFID tags (access)."""

"""The command centre: HTTP API, live feed, storage of alerts and units, accounts and audit."""

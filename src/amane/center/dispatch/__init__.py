"""Emergency calls and dispatch: intake, incident timeline, nearest-unit recommendation, rosters, KPIs."""

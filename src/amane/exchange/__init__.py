"""Exchange formats with other emergency systems: NENA EIDO JSON (incidents) and CAP 1.2 XML (alerts)."""

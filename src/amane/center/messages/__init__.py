"""Two-way messaging between the centre and units: text, go-to orders, region broadcasts; delivery states."""

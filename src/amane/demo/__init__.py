"""``amane demo``: a command centre and a small fleet of units in one process, on the embedded default."""

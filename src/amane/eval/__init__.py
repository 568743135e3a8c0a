"""``amane eval ...``: accuracy and speed on real evaluation data, written as JSON."""

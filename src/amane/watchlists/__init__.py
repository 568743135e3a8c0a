"""Hotlists (plates) and watchlists: storage, exact and fuzzy match, governance."""

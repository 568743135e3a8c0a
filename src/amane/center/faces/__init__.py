"""Face recognition safeguards at the centre: live-identification authorisations (with a kill switch),
the watchlist enrolment API, audited search by photo, and the two-reviewer rule for face leads."""

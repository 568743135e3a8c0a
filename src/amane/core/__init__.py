"""Pure types and maths shared by unit and centre: no I/O here."""

"""Scale-out harness: private services (NATS, PostgreSQL, centre workers) and load accounting, shared by
the fault tests (``tests/scale``) and ``benchmarks/scale.py``."""

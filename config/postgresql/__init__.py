"""Django's PostgreSQL backend, its health check made without a round trip (`base.py`)."""

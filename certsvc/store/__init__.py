"""Persistence: engine and sessions, models, migrations, the key store, the audit log, backup and restore."""

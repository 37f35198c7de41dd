"""Co-signed skill credentials for migrant workers."""

__version__ = "0.1.0"

"""Verification of co-signed skill credentials: one pipeline for the web page, the API and the CLI."""

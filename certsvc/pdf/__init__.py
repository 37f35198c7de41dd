"""Printable PDFs in every script of our corridors: shipped fonts, shaping, layout, certificates and claim slips."""

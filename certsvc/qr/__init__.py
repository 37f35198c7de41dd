"""The QR transport (skeleton, values, preset dictionary, encoder and decoder) and QR rendering and reading.

Plain Python: it stands on ``certsvc.credentials`` alone.
"""

"""The credential format core: base64url, keys, JWS, the Open Badges payload, co-signatures, trust and status lists.

Plain Python: nothing here imports a web framework, a database, or any other part of certsvc.
"""

"""The demo: a world of corridors, its database seed, the offline folder, and the local demo server."""

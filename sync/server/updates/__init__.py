"""Releases for the fleet: the signed apt repository, its channels and promotion."""

"""The parcel service: carriers and pre-advice, parcel effects of kiosk events, queries, purge, pickup page."""

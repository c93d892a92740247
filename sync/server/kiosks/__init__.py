"""The kiosk fleet and its sync: enrollment and credentials, event ingest and effects, the change feed."""

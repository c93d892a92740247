"""Updates without a drive: the updater's decisions, its real seams, and the health file the app
writes for it."""

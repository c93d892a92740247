"""What /openapi.json declares: the reply models, each operation's statuses and error codes, and the
document's assembly."""

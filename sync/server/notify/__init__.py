"""Messages to people and systems: the SMS/e-mail queue, webhooks, quiet hours, retries, texts."""

"""What the keypad types, shown as typed: pickup codes and recipients' phone numbers."""

"""Pickup codes: made, stored as salted slow hashes, found by a keyed digest, and the keypad's
pause after too many wrong ones."""

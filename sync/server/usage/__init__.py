"""What the pilots learn: anonymous visit counts per week and their report."""

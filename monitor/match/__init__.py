"""MATCH (pure): which calls fit a subscriber's profile, and why."""

"""`callwatch demo`: the shipped sources replayed offline from the recordings the tests poll.

Owns nothing itself: `replay` serves recordings on loopback, `dates` shifts their dates, `runner`
starts the demo. Must not be imported by any layer below the CLI (nothing in production depends on it).
"""

"""Pure normalisation shared by every source: free text and raw fields in, plain values out.

Modules here read dates and deadlines (`dates`), amounts of money (`money`), eligible
countries (`countries`) and organisation types / industrial ecosystems (`vocab`).
Nothing in this package does I/O, touches the database, reads settings or the clock.
"""

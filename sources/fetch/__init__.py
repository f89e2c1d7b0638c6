"""FETCH: the polite HTTP client every source kind fetches through.

Owns nothing itself: `client` sends (per-host turns, deadline, size cap,
`measure()`), `policy` decides (retries, backoff, Retry-After, conditional
GET). Must not: parse bodies beyond JSON and text, or touch the database.
"""

"""POLL: one run of one source, from fetching to the stored, regrouped calls.

`pipeline` orchestrates; `reconcile` finds the records of one call across
sources; `health` decides when a failing source is worth an alert.
Must not: be imported by what it calls (`sources`, `monitor.normalise`, `db`): they stay below.
"""

"""The store: tables (`db.models`), the SQL that reads and writes them (`db.repo`), the engine and migrations.

Must not: import anything of the project but `monitor.model` (the shapes a call takes); what to
store and what it means is decided above, in `monitor`.
"""

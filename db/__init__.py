"""STORE: the tables (`db.models`), the one package that writes SQL (`db.repo`), the engine and migrations.

Must not: import anything of the project but `monitor.model` (the shapes a call takes); what to
store and what it means (regrouping, diffs, wording) is decided above, in `monitor`, and handed in.
"""

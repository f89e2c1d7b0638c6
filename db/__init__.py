"""STORE: the tables (`db.models`), the one package that writes SQL (`db.repo`), the engine and migrations.

Must not: import anything of the project but `monitor.model`; domain decisions (regrouping,
diffs, wording) are made above and handed in.
"""

"""RENDER (pure): one wording of a call for e-mail, web, RSS/Atom, iCalendar, JSON and CSV."""

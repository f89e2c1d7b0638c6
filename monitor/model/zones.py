"""The time zone every EU deadline is published in.

Must not: import anything of the project.
"""

from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")

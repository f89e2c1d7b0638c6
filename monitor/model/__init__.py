"""The shapes a call takes between the pipeline's stages.

Owns: vocabularies (`vocab`), the parsed call (`raw`), the normalised call
(`call`), the merged view users see (`view`), typed changes (`changes`) and
source health (`source`).

Must not: import anything of the project outside `monitor.model`, do I/O, or
read the clock (times are passed in).
"""

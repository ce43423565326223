"""Personal data as the RGPD requires (issue 19).

- ``registry``: where the personal data of a member lives (one declarative list
  that the export, the anonymisation and the register page all read);
- ``export``: the right of access and portability (a ZIP of JSON and CSV);
- ``anonymise``: the right to erasure, change log and SQLite free pages included;
- ``retention``: what the retention periods say must go, and ``purge``;
- ``register``: the counts per category shown on "Données personnelles".

A table added later that names a member (document versions, search index) gets
one ``Holding`` line in ``registry.HOLDINGS``; nothing else needs to change.
"""

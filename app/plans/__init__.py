"""Following the territorial plans the council monitors (issue 16).

- ``money``: euros and percentages written and read the French way;
- ``reading``: an amendment read against the title it changes (word diff);
- ``circuit``: the amendment's circuit, each step with who and when;
- ``trajectory``: on track / off track / no data of an indicator;
- ``charts``: the indicator chart and sparklines, SVG drawn on the server;
- ``page``: everything the plan page shows, in a fixed number of queries;
- ``indicators``: the indicator page and the dashboard's off-track list;
- ``avis``: the avis's amendment list in the council's words (Markdown, ODT).

Nothing here imports the screens (``app.admin``).
"""

"""Meeting work beyond the CRUD screens: roster and rates, minutes report, ODT,
iCalendar feeds and the dashboard queries."""

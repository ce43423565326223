"""The indicator page: its chart (SVG drawn on the server), status and data;
mixed into IndicatorView (URL /admin/indicator/chart/?id=)."""

from __future__ import annotations

from flask_admin import expose

from app.admin.plans_page import HELPERS, record_or_404
from app.models.plans import Indicator
from app.plans.indicators import build_indicator_page


class IndicatorScreens:
    @expose("/chart/")
    def chart_view(self):
        indicator = record_or_404(Indicator)
        return self.render(
            "admin/plans/indicator.html",
            chart=build_indicator_page(indicator),
            **HELPERS,
        )

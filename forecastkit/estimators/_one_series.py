"""The backtest protocol of estimators that hold one fitted series (``values_``, ``time_axis_``).

:func:`forecastkit.backtest.backtest` asks any forecaster for the series to backtest
(``_backtest_series``), batched forecasts from origins (``_backtest_forecasts``), the
history an origin needs (``_min_history``), the steps the model was fitted on
(``_seen_steps``: default origins come after them) and the season of the naive baseline
(``_season_length``), each by series id. ``Forecaster`` answers for any number of series;
this mixin answers for estimators of one series (id None) from their ``_multi_step``.
"""

from __future__ import annotations

__all__ = ["OneSeriesBacktest"]


class OneSeriesBacktest:
    """Backtest protocol over ``values_``, ``time_axis_``, ``min_history_``, ``_multi_step``."""

    def _backtest_series(self, y) -> dict:
        from forecastkit.backtest import starting_or_continuing

        if y is None:
            return {None: (self.values_, self.time_axis_)}
        return {None: starting_or_continuing(self, self.values_, self.time_axis_, y)}

    def _backtest_forecasts(self, series: dict, origins: dict, horizon: int) -> dict:
        return {
            uid: self._multi_step(values, origins[uid], horizon)
            for uid, (values, _) in series.items()
        }

    def _min_history(self, uid) -> int:
        return int(self.min_history_)

    def _seen_steps(self, uid) -> int:
        # Fitted on every step of the fitted series (no held-out part).
        return len(self.values_)

    def _season_length(self, uid) -> int:
        return int(getattr(self, "season_length_", 1))

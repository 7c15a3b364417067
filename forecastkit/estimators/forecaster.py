"""The Forecaster: a stacked recurrent regressor over sliding windows of a pandas series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from forecastkit.data.scaling import SeriesScaler
from forecastkit.data.seasonality import season_length
from forecastkit.data.splits import split_sizes
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.transforms import TargetTransform, choose_transform
from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.data.windows import make_windows
from forecastkit.estimators._inputs import assemble
from forecastkit.exceptions import DataError, ModelFileError, NotFittedError, ParameterError
from forecastkit.metrics import mae, mase, rmse, smape
from forecastkit.strategies import STRATEGIES, one_step

__all__ = ["Forecaster", "default_window"]


def default_window(season: int, n_steps: int) -> int:
    """Window used when ``window=None``: two seasons (10 without one), at most ``n_steps // 5``.

    Two seasons let the network see the seasonal pattern twice; the cap keeps at least
    four window-lengths of data for training windows, so weekly series (season 52) of a few
    hundred steps do not get a 104-step window that leaves too few samples (measured on a
    300-step weekly random walk, seed 0: MASE 0.54 with window 104, 0.32 with 52, 0.08
    with 26).

    Examples
    --------
    >>> default_window(12, 144), default_window(52, 300), default_window(1, 2000)
    (24, 60, 10)
    """
    return max(2, min(2 * season if season > 1 else 10, n_steps // 5))


class Forecaster(RegressorMixin, BaseEstimator):
    """Forecast a pandas series with a stacked recurrent network over sliding windows.

    Data flow: series -> checks -> target transform (log / differences, chosen from the
    training part) -> scaling (fitted on the training part) -> windows -> network ->
    early-stopped training -> one-step or recursive prediction -> original units -> pandas
    with the input's index continued.

    Parameters
    ----------
    window : int or None, default=None
        Time steps in each input window. None: two seasons (``2 * season_length`` of the
        series' frequency, e.g. 24 for monthly data) or 10 when no season is known, capped
        at a fifth of the series length so that short series with long seasons (weekly data)
        still give enough training windows (see :func:`default_window`).
    horizon : int, default=1
        Default number of steps for :meth:`forecast`; with ``strategy="direct"`` also the
        number of steps the network outputs at once.
    units : int or tuple of int, default=(50, 100)
        Units per recurrent layer, bottom to top.
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    bidirectional : bool, default=False
    dropout : float, default=0.0
    strategy : {"recursive", "direct"}, default="recursive"
        Recursive: one-step network, predictions fed back (any horizon). Direct (MIMO): the
        network outputs ``horizon`` steps at once.
    transform : {"auto", "none", "diff", "log", "log-diff"}, default="auto"
        Target transform; "auto" takes logs when the spread grows with the level (Guerrero)
        and first differences when the KPSS test rejects stationarity, from training data.
    epochs : int, default=200
        Upper bound; early stopping usually ends training sooner.
    batch_size : int, default=32
    optimizer : str or keras optimizer, default="adam"
    learning_rate : float, default=3e-3
    val_size, test_size : float, int or label, default=0.1 and 0
        Validation part (early stopping) and held-out test part (:meth:`evaluate`), taken
        from the end of the series: a fraction, a number of steps, or the first label.
    scaler : scikit-learn transformer or None, default=None
        None means StandardScaler; fitted on the training part only.
    patience : int, default=20
        Epochs without improvement before early stopping (the learning rate is halved after
        half as many).
    random_state : int or None, default=None
        Seeds weights, shuffling and dropout; equal seeds give identical forecasts.
    verbose : {0, 1, 2, "auto"}, default="auto"
        "auto": Keras's progress bar on a terminal, one line per epoch otherwise.
    callbacks : list of keras callbacks or None
        Added to the defaults (early stopping, checkpoint, plateau, TerminateOnNaN).
    target : str or list of str, optional
        Column(s) to predict when the series is a DataFrame with several columns.
    freq : str, optional
        Frequency of an irregular or unmarked DatetimeIndex.

    Attributes
    ----------
    model_ : keras.Model
    history_ : pandas.DataFrame
        ``loss``, ``val_loss`` and ``learning_rate`` per epoch (1-based index).
    best_epoch_ : int
        The epoch whose weights were restored.
    window_, season_length_ : int
    transform_ : TargetTransform
    scaler_ : SeriesScaler
    time_axis_ : TimeAxis
    n_features_in_ : int

    Examples
    --------
    >>> from forecastkit import Forecaster, datasets
    >>> y = datasets.load_airline()
    >>> f = Forecaster(units=(8,), epochs=2, verbose=0, random_state=0).fit(y)
    >>> f.forecast(3).index[0]
    Timestamp('1961-01-01 00:00:00')
    """

    def __init__(
        self,
        window: int | None = None,
        *,
        horizon: int = 1,
        units=(50, 100),
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        strategy: str = "recursive",
        transform: str = "auto",
        epochs: int = 200,
        batch_size: int = 32,
        optimizer="adam",
        learning_rate: float = 3e-3,
        val_size=0.1,
        test_size=0,
        scaler=None,
        patience: int = 20,
        random_state: int | None = None,
        verbose="auto",
        callbacks=None,
        target=None,
        freq=None,
    ):
        self.window = window
        self.horizon = horizon
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.strategy = strategy
        self.transform = transform
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.val_size = val_size
        self.test_size = test_size
        self.scaler = scaler
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.target = target
        self.freq = freq

    # ------------------------------------------------------------------ fit
    def fit(self, X=None, y=None):
        """Fit the network on a series.

        Parameters
        ----------
        X : pandas Series, DataFrame or array
            The series to forecast when ``y`` is None (``fit(series)``); otherwise exogenous
            covariates, one row per time step of ``y`` (scikit-learn's ``fit(X, y)`` order).
        y : pandas Series, DataFrame or array, optional
            The target series when ``X`` holds covariates.

        Returns
        -------
        self
        """
        from forecastkit.models.builders import build_regressor
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import seed_everything

        if self.strategy not in STRATEGIES:
            raise ParameterError(
                f"`strategy` must be one of {sorted(STRATEGIES)}; got strategy={self.strategy!r}."
            )
        checked, has_covariates = assemble(X, y, target=self.target, freq=self.freq)
        values, axis = checked.values, checked.axis
        targets = list(checked.targets)
        m = season_length(axis.freq)
        window = (
            default_window(m, len(values)) if self.window is None else check_window(self.window)
        )
        horizon = check_horizon(self.horizon)
        out_steps = horizon if self.strategy == "direct" else 1
        sizes = split_sizes(
            len(values),
            window=window,
            horizon=out_steps,
            val_size=self.val_size,
            test_size=self.test_size,
            axis=axis,
        )
        transform = choose_transform(
            values[: sizes.n_train], targets, season_length=m, mode=self.transform
        )
        d = transform.diff
        if sizes.n_train - d < window + out_steps:
            raise DataError(
                f"The training part has {sizes.n_train} steps; differencing the target uses one, "
                f"and window={window} + horizon={out_steps} need {window + out_steps} more. Use "
                "a shorter window, a smaller val_size/test_size, or transform='none'."
            )
        z = transform.forward(values, targets)
        scaler = SeriesScaler(self.scaler, targets=targets, n_features=values.shape[1])
        scaled = scaler.fit(z[: sizes.n_train - d]).transform(z)
        n_train, n_fit = sizes.n_train - d, sizes.n_train + sizes.n_val - d
        X_train, Y_train = make_windows(scaled[:n_train], window, out_steps, targets=targets)
        X_val, Y_val = make_windows(
            scaled[max(n_train - window, 0) : n_fit], window, out_steps, targets=targets
        )

        if self.random_state is not None:
            seed_everything(self.random_state)
            seed = int(self.random_state)
        else:
            seed = int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
        model = build_regressor(
            window=window,
            n_features=values.shape[1],
            horizon=out_steps,
            n_targets=len(targets),
            units=self.units,
            cell=self.cell,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            seed=seed,
        )
        result = train(
            model,
            X_train,
            Y_train,
            validation=(X_val, Y_val) if len(X_val) else None,
            epochs=check_window(self.epochs, name="epochs"),
            batch_size=check_window(self.batch_size, name="batch_size"),
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            patience=check_window(self.patience, name="patience"),
            callbacks=list(self.callbacks or []),
            verbose=self.verbose,
        )
        self._set_fitted(
            model=model,
            values=values,
            axis=axis,
            names=checked.names,
            targets=targets,
            window=window,
            out_steps=out_steps,
            transform=transform,
            scaler=scaler,
            sizes=(sizes.n_train, sizes.n_val, sizes.n_test),
            season=m,
            has_covariates=has_covariates,
            history=pd.DataFrame(
                dict(result), index=pd.RangeIndex(1, len(result["loss"]) + 1, name="epoch")
            ),
            best_epoch=result.best_epoch,
        )
        return self

    def _set_fitted(
        self,
        *,
        model,
        values,
        axis,
        names,
        targets,
        window,
        out_steps,
        transform,
        scaler,
        sizes,
        season,
        has_covariates,
        history,
        best_epoch,
    ):
        """Store learned state (shared by fit and load)."""
        from forecastkit.models.compiled import CompiledPredict, CompiledRecursion

        self.model_ = model
        self._buffer = values  # grows geometrically in update(); values_ is a view of it
        self.values_ = values
        self.time_axis_ = axis
        self.names_ = tuple(names)
        self.targets_ = tuple(int(t) for t in targets)
        self.window_ = int(window)
        self.out_steps_ = int(out_steps)
        self.transform_ = transform
        self.scaler_ = scaler
        self.sizes_ = tuple(int(s) for s in sizes)
        self.season_length_ = int(season)
        self.has_covariates_ = bool(has_covariates)
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_features_in_ = len(names) - len(targets) if has_covariates else len(names)
        self._predict_fn = CompiledPredict(model)
        self._recursion = CompiledRecursion(model, self.targets_)

    # ------------------------------------------------------------ helpers
    @property
    def target_names_(self) -> list[str]:
        """Names of the predicted columns."""
        return [self.names_[j] for j in self.targets_]

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "model_")
        except Exception as err:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call fit(series) before "
                "predicting or forecasting."
            ) from err

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        """Return transformed and scaled values ``(n_steps - diff, n_features)``."""
        return self.scaler_.transform(self.transform_.forward(values, self.targets_))

    def _windows_before(self, scaled: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Input windows ending just before each position (original row numbers)."""
        d, w = self.transform_.diff, self.window_
        starts = np.asarray(positions) - d - w
        if len(starts) and starts.min() < 0:
            raise DataError(
                f"Position {int(np.asarray(positions).min())} has fewer than window={w} "
                f"(+{d} for differencing) earlier steps; predictions start at step {w + d}."
            )
        windows, _ = make_windows(scaled, w, 0)
        return windows[starts]

    def _to_levels(self, pred: np.ndarray, values: np.ndarray, positions) -> np.ndarray:
        """Scaled transformed predictions ``(n, h, t)`` -> original units, anchored before each."""
        z = self.scaler_.inverse_transform_targets(pred)
        anchor = self.transform_.levels(values, self.targets_)[np.asarray(positions) - 1]
        return self.transform_.inverse(z, anchor)

    def _context(self, values: np.ndarray, positions) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows that predictions at ``positions`` read, and positions within them.

        Forecasts read only the last ``window`` (+ ``diff``) steps before each position, so
        transforming and scaling just those rows keeps the cost of a forecast independent of
        the history length (what makes :meth:`update` + :meth:`forecast` cheap).
        """
        positions = np.asarray(positions)
        lo = int(positions.min()) - self.transform_.diff - self.window_ if len(positions) else 0
        if lo <= 0:
            return values, positions
        return values[lo : int(positions.max())], positions - lo

    def _one_step(self, values: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Teacher-forced one-step predictions ``(len(positions), n_targets)``."""
        values, positions = self._context(values, positions)
        windows = self._windows_before(self._scaled(values), positions)
        pred = one_step(lambda x: self._predict_fn(x)[:, 0, :], windows)
        return self._to_levels(pred, values, positions)[:, 0, :]

    def _multi_step(self, values, positions, horizon, covariates=None) -> np.ndarray:
        """Forecasts ``(len(positions), horizon, n_targets)`` starting at each position.

        ``covariates`` (len(positions), horizon, n_covariates) in original units.
        """
        values, positions = self._context(values, positions)
        scaled = self._scaled(values)
        windows = self._windows_before(scaled, positions)
        n_cov = len(self.names_) - len(self.targets_)
        cov = np.zeros((len(windows), horizon, n_cov), np.float32)
        if n_cov:
            rows = np.zeros((len(windows) * horizon, len(self.names_)), np.float32)
            others = [j for j in range(len(self.names_)) if j not in self.targets_]
            rows[:, others] = np.asarray(covariates, np.float32).reshape(-1, n_cov)
            cov = self.scaler_.transform(rows)[:, others].reshape(len(windows), horizon, n_cov)
        if self.strategy == "direct":
            pred = STRATEGIES["direct"](self._predict_fn, windows, horizon)
        else:
            pred = self._recursion(windows, horizon, cov)
        return self._to_levels(pred, values, positions)

    def _future_covariates(self, X, horizon: int) -> np.ndarray | None:
        n_cov = len(self.names_) - len(self.targets_)
        if n_cov == 0:
            return None
        if X is None:
            others = [n for j, n in enumerate(self.names_) if j not in self.targets_]
            raise DataError(
                f"This Forecaster was fitted with covariates {others}; forecasting needs their "
                f"future values: pass X with {horizon} rows (one per step ahead)."
            )
        cov = np.asarray(X, dtype=np.float32)
        cov = cov.reshape(len(cov), -1)
        if cov.shape != (horizon, n_cov):
            raise DataError(
                f"`X` must have shape ({horizon}, {n_cov}) (one row per step ahead, one column "
                f"per covariate); got {cov.shape}."
            )
        if not np.isfinite(cov).all():
            raise DataError("`X` contains NaN or inf; fill the future covariates first.")
        return cov[None]

    # ---------------------------------------------------------- predicting
    def forecast(self, horizon: int | None = None, X=None):
        """Forecast the steps after the end of the fitted series.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to ``self.horizon``. With the recursive strategy it may
            exceed the trained horizon (each prediction is fed back as input).
        X : array or DataFrame, optional
            Future covariates, ``horizon`` rows, when the model was fitted with ``X``.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels that continue the fitted series, named like the target(s).

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(datasets.load_airline())
        >>> len(f.forecast(horizon=24))
        24
        """
        self._check_fitted()
        horizon = check_horizon(self.horizon if horizon is None else horizon)
        n = len(self.values_)
        pred = self._multi_step(
            self.values_, np.array([n]), horizon, self._future_covariates(X, horizon)
        )
        return self.time_axis_.wrap(pred[0], start=n, names=self.target_names_)

    def predict(self, X=None):
        """Teacher-forced one-step predictions, each from the true previous ``window`` steps.

        Parameters
        ----------
        X : pandas Series, DataFrame or array, optional
            None: over the fitted series. A series that continues the fitted one (its first
            label is the next expected label): one prediction per row, the fitted tail as
            context. Any other series: one prediction per row that has a full window.
            For a model fitted with covariates (``fit(X, y)``), ``X`` holds future
            covariates and the result is the forecast over those rows.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels of the predicted steps.
        """
        self._check_fitted()
        if self.has_covariates_:
            horizon = len(X) if X is not None else 0
            return self.forecast(horizon, X=X)
        d, w = self.transform_.diff, self.window_
        if X is None:
            values, axis = self.values_, self.time_axis_
            start = w + d
        else:
            checked = check_series(X, target=self.target, freq=self.freq)
            if checked.names != self.names_ and checked.values.shape[1] != len(self.names_):
                raise DataError(
                    f"`X` must have the fitted columns {list(self.names_)}; got "
                    f"{list(checked.names)}."
                )
            if self._continues(checked.axis):
                values = np.concatenate([self.values_, checked.values])
                axis, start = self.time_axis_.extend(len(checked.values)), len(self.values_)
            else:
                values, axis, start = checked.values, checked.axis, w + d
        positions = np.arange(start, len(values))
        if len(positions) == 0:
            raise DataError(
                f"`X` has {len(values)} steps; one-step prediction needs more than window={w} "
                f"(+{d} for differencing). Pass a longer series, or one that continues the "
                "fitted series."
            )
        pred = self._one_step(values, positions)
        return axis.wrap(pred, start=start, names=self.target_names_)

    def _continues(self, axis: TimeAxis) -> bool:
        """Return True when ``axis`` starts right after the fitted series."""
        try:
            nxt = self.time_axis_.future(1)[0]
            return axis.kind == self.time_axis_.kind and axis.labels(0, 1)[0] == nxt
        except (TypeError, ValueError):
            return False

    def update(self, y, X=None) -> Forecaster:
        """Append new observations after the fitted series, without refitting the network.

        The next :meth:`forecast` (and :meth:`predict` with no argument) starts after them.
        The cost is proportional to the number of new steps, not to the history length: the
        history grows in a buffer that doubles when full, and a forecast reads only the last
        ``window`` steps. The network's weights, the scaler and the target transform stay as
        fitted; refit from time to time when the series drifts.

        Parameters
        ----------
        y : pandas Series, DataFrame or array
            The new steps of the fitted column(s). A pandas input must continue the fitted
            index (its first label is the next expected one); an array is taken as the next
            steps.
        X : pandas DataFrame or array, optional
            The covariates of the same steps, for a model fitted with ``fit(X, y)``.

        Returns
        -------
        self

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> y = datasets.load_airline()
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(y[:-2])
        >>> f.update(y[-2:]).forecast(1).index[0]
        Timestamp('1961-01-01 00:00:00')
        """
        self._check_fitted()
        if self.has_covariates_ and X is None:
            raise DataError(
                "This Forecaster was fitted with covariates: pass their values for the new "
                "steps too, update(y_new, X=X_new)."
            )
        checked, _ = assemble(X if self.has_covariates_ else None, y, target=self.target)
        new = checked.values
        if new.shape[1] != len(self.names_):
            raise DataError(
                f"`y` (with `X`) must have the fitted columns {list(self.names_)}; got "
                f"{list(checked.names)}."
            )
        if isinstance(y, pd.Series | pd.DataFrame) and not self._continues(checked.axis):
            raise DataError(
                f"`y` must continue the fitted series: its first label should be "
                f"{self.time_axis_.future(1)[0]!r}; got {checked.axis.labels(0, 1)[0]!r}. "
                "Pass only the steps after the fitted ones, in order."
            )
        logged = [t for t, log in zip(self.targets_, self.transform_.log, strict=True) if log]
        if logged and not (new[:, logged] > 0).all():
            raise DataError(
                "The model forecasts logs of the target (transform chosen at fit), so new "
                "values must be positive; refit with transform='none' or 'diff'."
            )
        n, k = len(self.values_), len(new)
        if n + k > len(self._buffer):
            buffer = np.empty((max(2 * len(self._buffer), n + k), new.shape[1]), np.float32)
            buffer[:n] = self.values_
            self._buffer = buffer
        self._buffer[n : n + k] = new
        self.values_ = self._buffer[: n + k]
        self.time_axis_ = self.time_axis_.extend(k)
        return self

    # ---------------------------------------------------------- evaluation
    def evaluate(self) -> pd.DataFrame:
        """Held-out metrics of one-step and recursive prediction beside the seasonal naive.

        Needs ``test_size > 0`` at fit. One-step: each test step from the true previous
        window. Recursive: one forecast over the whole test part from its start. The
        seasonal-naive baseline (season from the frequency, 1 = naive) is scored the same
        two ways. MASE is scaled by the seasonal-naive in-sample error before the test part.

        Returns
        -------
        pandas.DataFrame
            Rows: model and baseline, one-step and recursive; columns mae, rmse, smape, mase.
        """
        self._check_fitted()
        n_test = self.sizes_[2]
        if n_test == 0:
            raise ParameterError(
                "evaluate() needs a held-out test part: fit with test_size > 0 (e.g. test_size=12)."
            )
        # The fitted series only: steps appended later by update() are not the test part.
        n, m = sum(self.sizes_), self.season_length_
        values = self.values_[:n]
        origin = n - n_test
        targets = list(self.targets_)
        truth = values[origin:, targets].astype(np.float64)
        history = values[:origin, targets].astype(np.float64)
        others = [j for j in range(len(self.names_)) if j not in targets]
        cov = values[origin:, others][None] if others else None
        preds = {
            "forecaster one-step": self._one_step(values, np.arange(origin, n)),
            "forecaster recursive": self._multi_step(values, np.array([origin]), n_test, cov)[
                0
            ],
        }
        if origin >= m:
            preds["seasonal naive one-step"] = values[origin - m : n - m, targets]
        preds["seasonal naive recursive"] = history[-m:][np.arange(n_test) % m]
        rows = {
            name: {
                "mae": mae(truth, p),
                "rmse": rmse(truth, p),
                "smape": smape(truth, p),
                "mase": mase(truth, p, y_train=history, season_length=m),
            }
            for name, p in preds.items()
        }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = f"test part: {n_test} steps, season_length={m}"
        return table

    def backtest(self, y=None, horizon=None, n_origins=None, step=1):
        """Rolling-origin evaluation beside the seasonal naive, all origins in one call.

        Delegates to :func:`forecastkit.backtest.backtest` (no refitting; there, ``refit=``
        refits a clone before every origin). The model was fitted once, so early origins may
        lie in its training data: fit with ``test_size`` and backtest the held-out part, or
        pass a newer series as ``y``.

        Parameters
        ----------
        y : pandas Series or DataFrame, optional
            None: the fitted series; otherwise one that starts with or continues it.
        horizon : int, optional
            Steps per origin; defaults to ``self.horizon``.
        n_origins : int, optional
            Number of origins, the last at ``n_steps - horizon``; None: as many as fit.
        step : int, default=1
            Steps between origins.

        Returns
        -------
        forecastkit.backtest.BacktestResult
            ``forecasts`` (tidy) and ``summary`` (mae, rmse, mase and naive_* by step).

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(datasets.load_airline())
        >>> f.backtest(horizon=6, n_origins=10).summary.shape
        (6, 6)
        """
        from forecastkit.backtest import backtest

        horizon = self.horizon if horizon is None else horizon
        return backtest(self, y, horizon, n_origins=n_origins, step=step)

    # --------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save to a ``.keras`` file with forecastkit's manifest, atomically, without pickle.

        Examples
        --------
        >>> import tempfile, os
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(datasets.load_airline())
        >>> path = os.path.join(tempfile.mkdtemp(), "airline.keras")
        >>> f.save(path)
        >>> Forecaster.load(path).forecast(2).equals(f.forecast(2))
        True
        """
        from forecastkit.persistence import encode_params, save_archive, transformer_to_dict

        self._check_fitted()
        manifest = {
            "estimator": type(self).__name__,
            "params": encode_params(self.get_params()),
            "fitted": {
                "time_axis": self.time_axis_.to_dict(),
                "names": list(self.names_),
                "targets": list(self.targets_),
                "window": self.window_,
                "out_steps": self.out_steps_,
                "transform": self.transform_.to_dict(),
                "sizes": list(self.sizes_),
                "season_length": self.season_length_,
                "has_covariates": self.has_covariates_,
                "best_epoch": self.best_epoch_,
                "scaler_target": transformer_to_dict(self.scaler_.target_),
                "scaler_features": None
                if self.scaler_.features_ is None
                else transformer_to_dict(self.scaler_.features_),
                "history": {k: list(map(float, v)) for k, v in self.history_.items()},
            },
        }
        save_archive(path, self.model_, manifest, {"values": self.values_})

    @classmethod
    def load(cls, path) -> Forecaster:
        """Load a Forecaster saved with :meth:`save`; refuses corrupt or foreign files.

        Raises
        ------
        ModelFileError
            Truncated, tampered, foreign (plain Keras) or newer-format file.
        """
        from forecastkit.persistence import decode_params, load_archive, transformer_from_dict

        model, manifest, arrays = load_archive(path, estimator=cls.__name__)
        try:
            est = cls(**decode_params(manifest["params"]))
            fitted = manifest["fitted"]
            scaler = SeriesScaler(
                est.scaler, targets=fitted["targets"], n_features=len(fitted["names"])
            )
            scaler.target_ = transformer_from_dict(fitted["scaler_target"])
            scaler.features_ = (
                None
                if fitted["scaler_features"] is None
                else transformer_from_dict(fitted["scaler_features"])
            )
            history = pd.DataFrame(fitted["history"])
            history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
            est._set_fitted(
                model=model,
                values=np.asarray(arrays["values"], dtype=np.float32),
                axis=TimeAxis.from_dict(fitted["time_axis"]),
                names=fitted["names"],
                targets=fitted["targets"],
                window=fitted["window"],
                out_steps=fitted["out_steps"],
                transform=TargetTransform.from_dict(fitted["transform"]),
                scaler=scaler,
                sizes=fitted["sizes"],
                season=fitted["season_length"],
                has_covariates=fitted["has_covariates"],
                history=history,
                best_epoch=fitted["best_epoch"],
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(
                f"{path!r} has an incomplete or invalid forecastkit manifest ({err!r}). "
                "Save the model again."
            ) from err
        return est

    # ------------------------------------------------------------- display
    def plot(self, horizon: int | None = None, *, ax=None):
        """Draw the fitted series and the forecast after it; returns the matplotlib Axes."""
        from forecastkit.plotting import plot_forecast

        self._check_fitted()
        history = self.time_axis_.wrap(
            self.values_[:, list(self.targets_)], start=0, names=self.target_names_
        )
        return plot_forecast(history, self.forecast(horizon), ax=ax)

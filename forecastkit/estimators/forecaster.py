"""The Forecaster: a stacked recurrent regressor over sliding windows of a pandas series."""

from __future__ import annotations

import contextlib
import warnings
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from forecastkit.data.long import is_frame_groups, is_long_frame
from forecastkit.data.scaling import SeriesScaler, fit_transformed, transform_and_scale
from forecastkit.data.seasonality import season_cycle, season_length
from forecastkit.data.splits import split_sizes
from forecastkit.data.time_axis import TimeAxis
from forecastkit.data.transforms import (
    SeasonalAdjustment,
    TargetTransform,
    choose_transform,
    fit_seasonal_adjustment,
    redecide_diff,
)
from forecastkit.data.validation import check_horizon, check_series, check_window
from forecastkit.data.windows import make_windows
from forecastkit.estimators import _long
from forecastkit.estimators._inputs import assemble, check_rows, n_rows
from forecastkit.estimators._keras import (
    KerasEstimatorMixin,
    history_frame,
    history_from_manifest,
    history_to_manifest,
)
from forecastkit.exceptions import DataError, ModelFileError, ParameterError
from forecastkit.intervals import (
    check_levels,
    format_level,
    interval_columns,
    min_calibration_size,
    step_widths,
)
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


def _check_log_positive(values, transform, targets, axis, *, start: int) -> None:
    """Refuse non-positive values of target columns that the model takes logs of."""
    logged = [t for t, log in zip(targets, transform.log, strict=True) if log]
    if not logged:
        return
    bad = np.flatnonzero(~(np.asarray(values)[:, logged] > 0).all(axis=1))
    if len(bad):
        label = axis.labels(start + int(bad[0]), start + int(bad[0]) + 1)[0]
        raise DataError(
            f"The model takes logs of the target (its transform, chosen from the training "
            f"part, is {transform}), but the value at {label!r} is not positive. Use "
            "target_transform='diff' or 'none' for a series that can reach zero."
        )


def _plain(data):
    """Pandas data with its index replaced by 0, 1, ... (labels checked elsewhere)."""
    if isinstance(data, pd.Series | pd.DataFrame):
        return data.set_axis(pd.RangeIndex(len(data)), axis=0)
    return data


def _in_fitted_order(data, names, argname: str):
    """Return a DataFrame's columns in the fitted order, matched by name; others unchanged."""
    if not isinstance(data, pd.DataFrame):
        return data
    columns = [str(c) for c in data.columns]
    if sorted(columns) != sorted(names):
        raise DataError(
            f"`{argname}` must have the fitted columns {list(names)}; got {columns}. Select "
            f"them by name, e.g. {argname}[{list(names)}]."
        )
    return data.set_axis(columns, axis=1)[list(names)]


def _check_loaded(est: Forecaster) -> None:
    """Raise ValueError where a loaded manifest disagrees with its arrays or its network.

    Each piece is valid alone, but an edited file can pair them wrongly (targets outside
    the columns, a window the network does not take, a scaler fitted on other columns):
    such a model would load and then fail with a raw IndexError, or forecast from the wrong
    dates, at its first use.
    """
    names, targets = est.names_, est.targets_
    est.scaler_._columns()  # targets: distinct positions in range(len(names))
    shapes = {
        "values": (est.values_.shape[1:], (len(names),)),
        "time axis": ((est.time_axis_.n_steps,), (len(est.values_),)),
        "log flags": ((len(est.transform_.log),), (len(targets),)),
        "network input": (tuple(est.model_.inputs[0].shape[1:]), (est.window_, len(names))),
        "network output": (tuple(est.model_.outputs[0].shape[1:]), (est.out_steps_, len(targets))),
    }
    for what, (got, expected) in shapes.items():
        if est.values_.ndim != 2 or got != expected:
            raise ValueError(f"{what} of shape {got} where the manifest implies {expected}")
    try:  # the scalers' fitted attributes must fit the columns (a DataError is data's, not ours)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.scaler_.transform(est.values_[-1:])
    except DataError:
        pass
    except (AttributeError, IndexError, TypeError, ValueError) as err:
        raise ValueError(f"the saved scaler does not fit the saved columns ({err})") from err


class Forecaster(KerasEstimatorMixin, RegressorMixin, BaseEstimator):
    """Forecast a pandas series with a stacked recurrent network over sliding windows.

    Data flow: series -> checks -> seasonal adjustment -> target transform (log /
    differences; both chosen from the training part) -> scaling (fitted on the training
    part) -> windows -> network -> early-stopped training -> one-step or recursive
    prediction -> original units and season -> pandas with the input's index continued.

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
    target_transform : {"auto", "none", "diff", "log", "log-diff"}, default="auto"
        Target transform; "auto" takes logs when the spread grows with the level (Guerrero)
        and first differences when the KPSS test rejects stationarity, from training data.
    seasonal_adjustment : {"auto", "always", "none"}, default="auto"
        "always": for a series with a season (``season_length_ >= 2``) and at least two
        seasons (+1 step) of training data, remove the classical seasonal indices of the
        training part (multiplicative where the transform takes logs, additive otherwise)
        before the network sees the series, and put them back on its predictions
        (:class:`~forecastkit.data.transforms.SeasonalAdjustment`; the KPSS choice of
        differences is then made on the adjusted series). "auto": the same for yearly
        seasons (quarterly, monthly, weekly data); daily and hourly series keep their weekly
        and daily cycles, which the network learns itself (on the real-series benchmark,
        docs/benchmarks.md, adjusting them doubled the error). "none": never. Single-series
        fits only; a long-format fit ignores it.
    epochs : int, default=200
        Upper bound; early stopping usually ends training sooner.
    batch_size : int, default=32
        Samples per batch on each replica: with ``distribution``, each step trains on
        ``batch_size * num_replicas_in_sync`` samples, split across the replicas.
    optimizer : str or keras optimizer, default="adam"
    learning_rate : float, default=3e-3
    val_size, test_size : float, int or label, default=0.1 and 0
        Validation part (early stopping) and held-out test part (:meth:`evaluate`), taken
        from the end of the series: a fraction, a number of steps, or the first label.
    calibration_size : float, int, label or None, default=None
        Calibration part for the prediction intervals of ``forecast(level=...)``, held out
        between the validation and the test part (train | val | calibration | test), given
        like ``val_size``. The network never trains on it and early stopping never sees it.
        None (or 0): no separate part; the intervals are calibrated on the validation part,
        which the network never trains on either, so fitting costs no data and
        ``forecast`` without ``level`` is unchanged. Caveat: early stopping picks the epoch
        that did best on the validation part, which makes its errors slightly optimistic;
        set a calibration part (e.g. ``calibration_size=0.2``) for split conformal's
        coverage guarantee. An interval over ``h`` steps at level ``L`` needs
        ``ceil(L / (100 - L)) + h - 1`` calibration steps (19 + h - 1 at 95%).
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
        Added to the defaults (early stopping, checkpoint, plateau, stop on NaN).
    resume_dir : str or path, optional
        Folder where the training state is backed up after every epoch (Keras's
        ``BackupAndRestore``, extended): a fit killed at epoch k and started again with the
        same ``resume_dir`` continues from epoch k and, with a set ``random_state``, ends
        with the weights of an uninterrupted fit. The backup (a ``forecastkit-backup``
        subfolder) is deleted when the fit completes; use one folder per fit. Not saved
        with the model. See "Resumable training" in the user guide.
    log_dir : str or path, optional
        Write TensorBoard logs (training and validation loss, learning rate, the model
        graph) of every fit into a fresh ``run-YYYYmmdd-HHMMSS-N`` folder under it; needs
        ``pip install "forecastkit[tensorboard]"``. Not saved with the model.
    target : str or list of str, optional
        Column(s) to predict when the series is a DataFrame with several columns.
    freq : str, optional
        Frequency of an irregular or unmarked DatetimeIndex.
    id_col, time_col, target_col : str, default="unique_id", "ds", "y"
        Column names of long-format input: ``fit(frame)`` with a DataFrame holding
        ``id_col`` and ``time_col`` columns trains ONE global network on windows from every
        series; :meth:`forecast` and :meth:`predict` then return a long DataFrame
        ``[id_col, time_col, "Forecaster"]``. See "Many series" in the user guide.
    distribution : tf.distribute.Strategy or None, default=None
        Train on several devices or machines with any TensorFlow distribution strategy
        (``MirroredStrategy`` for the GPUs of one machine, ``MultiWorkerMirroredStrategy``
        across machines, see "Distributed training" in the user guide): the network is
        built and compiled in ``distribution.scope()``. Not saved with the model (a saved
        Forecaster loads and forecasts without it).

    Attributes
    ----------
    model_ : keras.Model
    history_ : pandas.DataFrame
        ``loss``, ``val_loss`` and ``learning_rate`` per epoch (1-based index).
    best_epoch_ : int
        The epoch whose weights were restored.
    n_calibration_ : int
        Steps of the calibration part (0: intervals calibrate on the validation part).
    window_, season_length_ : int
    transform_ : TargetTransform
    adjustment_ : SeasonalAdjustment or None
        The seasonal indices removed before the transform (see ``seasonal_adjustment``).
    scaler_ : SeriesScaler
    time_axis_ : TimeAxis
    n_features_in_ : int
    series_ : dict
        Only after a long-format fit (which has no ``transform_``, ``scaler_``,
        ``time_axis_``): per series id, its values, time axis, transform, scaler, split
        sizes and season length.

    Examples
    --------
    >>> from forecastkit import Forecaster, datasets
    >>> y = datasets.load_airline()
    >>> f = Forecaster(units=(8,), epochs=2, verbose=0, random_state=0).fit(y)
    >>> f.forecast(3).index[0]
    Timestamp('1961-01-01 00:00:00')
    """

    _fit_hint = "fit(series)"
    _compiled = ("_predict_fn", "_recursion")  # rebuilt by __setstate__

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
        target_transform: str = "auto",
        seasonal_adjustment: str = "auto",
        epochs: int = 200,
        batch_size: int = 32,
        optimizer="adam",
        learning_rate: float = 3e-3,
        val_size=0.1,
        test_size=0,
        calibration_size=None,
        scaler=None,
        patience: int = 20,
        random_state: int | None = None,
        verbose="auto",
        callbacks=None,
        resume_dir=None,
        log_dir=None,
        target=None,
        freq=None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        distribution=None,
    ):
        self.window = window
        self.horizon = horizon
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.strategy = strategy
        self.target_transform = target_transform
        self.seasonal_adjustment = seasonal_adjustment
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.val_size = val_size
        self.test_size = test_size
        self.calibration_size = calibration_size
        self.scaler = scaler
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.resume_dir = resume_dir
        self.log_dir = log_dir
        self.target = target
        self.freq = freq
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.distribution = distribution

    # ------------------------------------------------------------------ fit
    def fit(self, X=None, y=None):
        """Fit the network on a series.

        Parameters
        ----------
        X : pandas Series, DataFrame or array
            The series to forecast when ``y`` is None (``fit(series)``); otherwise exogenous
            covariates, one row per time step of ``y`` (scikit-learn's ``fit(X, y)`` order).
            A long-format DataFrame (columns ``id_col``, ``time_col``, ``target_col``) fits
            one global network on every series it holds; so do long frames given group
            by group (a list or iterator of them, e.g. ``read_parquet_groups(folder)``:
            one group's frame in memory at a time). ``X`` identical to a pandas ``y``
            is ignored: ``search.fit(y, y)`` is how scikit-learn's ``GridSearchCV`` or
            ``cross_val_score`` fit a forecaster (see the user guide, section 3).
        y : pandas Series, DataFrame or array, optional
            The target series when ``X`` holds covariates.

        Returns
        -------
        self
        """
        if self.strategy not in STRATEGIES:
            raise ParameterError(
                f"`strategy` must be one of {sorted(STRATEGIES)}; got strategy={self.strategy!r}."
            )
        if self.seasonal_adjustment not in ("auto", "always", "none"):
            raise ParameterError(
                "`seasonal_adjustment` must be 'auto', 'always' or 'none'; got "
                f"seasonal_adjustment={self.seasonal_adjustment!r}."
            )
        if is_long_frame(X, id_col=self.id_col, time_col=self.time_col) or is_frame_groups(X):
            return _long.fit_long(self, X, y)
        # Memory (bench/memory.py): `values` may be a read-only view of the caller's data
        # until training ends; it is copied after, once the scaled series is gone.
        checked, has_covariates = assemble(X, y, target=self.target, freq=self.freq, copy=False)
        if has_covariates and self.strategy == "direct":
            raise ParameterError(
                "strategy='direct' predicts every step at once from the past window, so it "
                "cannot use the future values of covariates; use strategy='recursive' with "
                "fit(X, y), or fit(y) alone."
            )
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
            calibration_size=0 if self.calibration_size is None else self.calibration_size,
        )
        transform = choose_transform(
            values[: sizes.n_train], targets, season_length=m, mode=self.target_transform
        )
        _check_log_positive(values, transform, targets, axis, start=0)
        adjustment, adjusted = self._adjust_season(
            values, targets, m, sizes.n_train, transform, cycle=season_cycle(axis.freq)
        )
        if adjustment is not None and self.target_transform == "auto":
            transform = redecide_diff(adjusted[: sizes.n_train], targets, transform)
        d = transform.diff
        if sizes.n_train - d < window + out_steps:
            raise DataError(
                f"The training part has {sizes.n_train} steps; differencing the target uses one, "
                f"and window={window} + horizon={out_steps} need {window + out_steps} more. Use "
                "a shorter window, a smaller val_size/test_size, or target_transform='none'."
            )
        # The scaler is fitted on the training part a chunk at a time (no float64 copy of a
        # long series). The parts stay in original units: they are transformed and scaled
        # whole when their windows fit in memory, a batch at a time when streamed (no scaled
        # copy of a long series); the rows after the validation part are never scaled.
        scaler = SeriesScaler(self.scaler, targets=targets, n_features=values.shape[1])
        fit_transformed(scaler, adjusted[: sizes.n_train], transform, targets)
        n_train, n_fit = sizes.n_train - d, sizes.n_train + sizes.n_val - d
        # Scaled row i comes from rows i..i+d: the scaled parts are [:n_train] (training)
        # and [n_train - window:n_fit] (validation windows), i.e. these rows, prepared.
        parts = (adjusted[: n_train + d], adjusted[max(n_train - window, 0) : n_fit + d])
        prepare = partial(transform_and_scale, transform=transform, targets=targets, scaler=scaler)
        model, history, best_epoch = self._train_network(
            *parts,
            window=window,
            n_features=values.shape[1],
            out_steps=out_steps,
            n_targets=len(targets),
            targets=targets,
            prepare=prepare,
            lag=d,
        )
        del parts, prepare, adjusted
        if not values.flags.writeable:  # a view of the caller's data: keep a copy
            values = values.copy()
        self._set_fitted(
            model=model,
            values=values,
            axis=axis,
            names=checked.names,
            targets=targets,
            window=window,
            out_steps=out_steps,
            transform=transform,
            adjustment=adjustment,
            scaler=scaler,
            sizes=(sizes.n_train, sizes.n_val, sizes.n_test),
            n_calibration=sizes.n_calibration,
            season=m,
            has_covariates=has_covariates,
            history=history,
            best_epoch=best_epoch,
        )
        return self

    def _adjust_season(self, values, targets, season, n_train, transform, *, cycle=None):
        """Fit the seasonal adjustment on the training rows; return it and the adjusted rows.

        ``(None, values)`` when ``seasonal_adjustment`` rules it out (``cycle``: that of the
        season, from :func:`~forecastkit.data.seasonality.season_cycle`) or the series has no
        season or too short a training part.
        """
        if self.seasonal_adjustment == "none" or (
            self.seasonal_adjustment == "auto" and cycle != "year"
        ):
            return None, values
        adjustment = fit_seasonal_adjustment(
            values[:n_train], targets, season_length=season, multiplicative=transform.log
        )
        if adjustment is None:
            return None, values
        return adjustment, adjustment.remove(values, targets)

    def _train_network(
        self,
        train_parts,
        val_parts,
        *,
        window,
        n_features,
        out_steps,
        n_targets,
        targets=None,
        prepare=None,
        lag=0,
    ):
        """Seed, build and train the network; shared by the one-series and long-format fits.

        ``train_parts`` / ``val_parts``: the scaled series (one array, or one per series)
        whose windows are the training / validation samples, or the series before
        ``prepare`` (transform and scale, consuming ``lag`` rows). Windows are materialised
        when small and streamed otherwise
        (:func:`~forecastkit.training.dataset.make_training_data`);
        with ``distribution`` the network is built and compiled in its scope and the batch
        is ``batch_size`` per replica.

        Returns ``(model, history, best_epoch)`` with ``history`` the per-epoch DataFrame.
        """
        from forecastkit.models.builders import build_regressor
        from forecastkit.training.dataset import WindowDataset, make_training_data
        from forecastkit.training.fit import train
        from forecastkit.training.seeding import resolve_seed

        scope, replicas = _distribution_scope(self.distribution)
        seed = resolve_seed(self.random_state)
        batch_size = check_window(self.batch_size, name="batch_size") * replicas
        data, validation = make_training_data(
            train_parts,
            val_parts,
            window=window,
            horizon=out_steps,
            targets=targets,
            batch_size=batch_size,
            seed=seed,
            prepare=prepare,
            lag=lag,
        )
        with scope:
            model = build_regressor(
                window=window,
                n_features=n_features,
                horizon=out_steps,
                n_targets=n_targets,
                units=self.units,
                cell=self.cell,
                bidirectional=self.bidirectional,
                dropout=self.dropout,
                seed=seed,
            )
            result = train(
                model,
                *data,
                validation=validation,
                epochs=check_window(self.epochs, name="epochs"),
                batch_size=batch_size,
                optimizer=self.optimizer,
                learning_rate=self.learning_rate,
                patience=check_window(self.patience, name="patience"),
                callbacks=list(self.callbacks or []),
                verbose=self.verbose,
                resume_dir=self.resume_dir,
                log_dir=self.log_dir,
                seed=seed,
            )
        for dataset in (data[0], validation):  # TensorFlow keeps them alive after fit
            if isinstance(dataset, WindowDataset):
                dataset.release()
        history = history_frame(result)
        return model, history, result.best_epoch

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
        adjustment=None,
        has_covariates,
        history,
        best_epoch,
        n_calibration=0,
    ):
        """Store learned state (shared by fit and load)."""
        from forecastkit.models.compiled import CompiledPredict, CompiledRecursion

        vars(self).pop("series_", None)  # state of an earlier long-format fit
        self.model_ = model
        self._buffer = values  # grows geometrically in update(); values_ is a view of it
        self.values_ = values
        self.time_axis_ = axis
        self.names_ = tuple(names)
        self.targets_ = tuple(int(t) for t in targets)
        self.window_ = int(window)
        self.out_steps_ = int(out_steps)
        self.transform_ = transform
        self.adjustment_ = adjustment
        self.scaler_ = scaler
        self.sizes_ = tuple(int(s) for s in sizes)
        self.n_calibration_ = int(n_calibration)  # rows after the validation part, see forecast
        self._calibration = None  # residuals for the intervals, computed at forecast(level=)
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


    def __sklearn_tags__(self):
        """Declare an optional ``y`` (``fit(series)``) and several target columns."""
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False  # fit(series): the series is X, y is optional
        tags.target_tags.multi_output = True  # fit(X, Y) forecasts Y's columns jointly
        tags.non_deterministic = self.random_state is None
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in state:
            from forecastkit.models.compiled import CompiledPredict, CompiledRecursion

            self._predict_fn = CompiledPredict(self.model_)
            self._recursion = CompiledRecursion(self.model_, self.targets_)

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        """Return transformed and scaled values ``(n_steps - diff, n_features)``."""
        return transform_and_scale(values, self.transform_, self.targets_, self.scaler_)

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

    def _context(self, values: np.ndarray, positions, phase: int = 0):
        """Return the rows that predictions at ``positions`` read, and positions within them.

        Also returns the absolute position of the first row (``phase``: that of ``values[0]``).
        Forecasts read only the last ``window`` (+ ``diff``) steps before each position, so
        transforming and scaling just those rows keeps the cost of a forecast independent of
        the history length (what makes :meth:`update` + :meth:`forecast` cheap). The rows
        come seasonally adjusted when the model has an ``adjustment_``.
        """
        positions = np.asarray(positions)
        lo = int(positions.min()) - self.transform_.diff - self.window_ if len(positions) else 0
        if lo > 0:
            values, positions, phase = values[lo : int(positions.max())], positions - lo, phase + lo
        adjustment = getattr(self, "adjustment_", None)
        if adjustment is not None:
            values = adjustment.remove(values, self.targets_, start=phase)
        return values, positions, phase

    def _reseason(self, pred: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Put the seasonal indices back on level forecasts whose first steps are ``first``."""
        adjustment = getattr(self, "adjustment_", None)
        return pred if adjustment is None else adjustment.restore(pred, first)

    def _phase(self, axis: TimeAxis) -> int:
        """Absolute position (from the fitted start) of the first row of a series on ``axis``.

        0 when the model has no seasonal adjustment or the axes do not share a calendar.
        """
        if getattr(self, "adjustment_", None) is None or axis.kind != self.time_axis_.kind:
            return 0
        try:
            return self.time_axis_.position(axis.labels(0, 1)[0])
        except DataError:  # starts before the fitted series: count back from it
            with contextlib.suppress(DataError):
                return -axis.position(self.time_axis_.labels(0, 1)[0])
            return 0

    def _one_step(self, values: np.ndarray, positions: np.ndarray, phase: int = 0) -> np.ndarray:
        """Teacher-forced one-step predictions ``(len(positions), n_targets)``."""
        values, positions, phase = self._context(values, positions, phase)
        windows = self._windows_before(self._scaled(values), positions)
        pred = one_step(lambda x: self._predict_fn(x)[:, 0, :], windows)
        return self._reseason(self._to_levels(pred, values, positions), positions + phase)[:, 0, :]

    def _multi_step(self, values, positions, horizon, covariates=None, phase=0) -> np.ndarray:
        """Forecasts ``(len(positions), horizon, n_targets)`` starting at each position.

        ``covariates`` (len(positions), horizon, n_covariates) in original units; ``phase``
        is the absolute position of ``values[0]`` (for the seasonal adjustment).
        """
        values, positions, phase = self._context(values, positions, phase)
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
        return self._reseason(self._to_levels(pred, values, positions), positions + phase)

    def _future_covariates(self, X, horizon: int) -> np.ndarray | None:
        n_cov = len(self.names_) - len(self.targets_)
        if n_cov == 0:
            if X is not None:
                raise DataError(
                    "This Forecaster was fitted without covariates, so `X` would be ignored. "
                    "Call forecast(horizon) without X, or refit with fit(X, y) to use "
                    "covariates."
                )
            return None
        if X is None:
            others = [n for j, n in enumerate(self.names_) if j not in self.targets_]
            raise DataError(
                f"This Forecaster was fitted with covariates {others}; forecasting needs their "
                f"future values: pass X with {horizon} rows (one per step ahead)."
            )
        others = [n for j, n in enumerate(self.names_) if j not in self.targets_]
        X = _in_fitted_order(X, others, "X")
        one_d = np.ndim(X) == 1
        cov = check_rows(X, "X")
        if cov.shape[1] != n_cov:
            raise DataError(
                f"X has {cov.shape[1]} features, but {type(self).__name__} is expecting "
                f"{n_cov} features as input (the covariates at fit, one column each)."
                + (" Reshape your data: a 1-D X is one covariate." if one_d else "")
            )
        if cov.shape != (horizon, n_cov):
            raise DataError(
                f"`X` must have shape ({horizon}, {n_cov}) (one row per step ahead, one column "
                f"per covariate); got {cov.shape}."
            )
        labels = getattr(X, "index", None)
        if isinstance(labels, pd.DatetimeIndex | pd.PeriodIndex):  # dated rows: the right ones?
            expected = self.time_axis_.future(horizon)
            if type(labels) is type(expected) and not labels.equals(expected):
                raise DataError(
                    f"`X` must hold the covariates of the {horizon} steps after the fitted "
                    f"series, {expected[0]} to {expected[-1]}; its index runs from "
                    f"{labels[0]} to {labels[-1]}. Pass those rows, e.g. X.loc[start:]."
                )
        return cov[None]

    # ----------------------------------------------------------- intervals
    def _calibration_part(self) -> tuple[int, int]:
        """Rows ``[start, stop)`` whose forecast errors calibrate the intervals."""
        n_train, n_val = self.sizes_[0], self.sizes_[1]
        if self.n_calibration_:
            return n_train + n_val, n_train + n_val + self.n_calibration_
        if n_val == 0:
            raise ParameterError(
                "Prediction intervals need data the network never trained on, but this "
                "Forecaster was fitted with val_size=0 and no calibration part. Refit with "
                "calibration_size > 0 (e.g. calibration_size=0.2) or val_size > 0."
            )
        return n_train, n_train + n_val

    def _calibration_residuals(self, horizon: int) -> np.ndarray:
        """``actual - forecast`` ``(n_origins, horizon, n_targets)`` over the calibration part.

        A recursive forecast from every row of the part, all in one batched call (the same
        ``_multi_step`` as the batched backtest); NaN where a step falls past the part, so
        no later data (the test part) is used. Cached; a longer horizon recomputes.
        """
        if self._calibration is not None and self._calibration.shape[1] >= horizon:
            return self._calibration[:, :horizon]
        start, stop = self._calibration_part()
        origins = np.arange(start, stop)
        rows = origins[:, None] + np.arange(horizon)[None, :]  # (n_origins, horizon)
        # Steps past the part read the part's last row instead: fillers for the masked steps
        # (a recursive step only sees covariates of earlier steps).
        filled = np.minimum(rows, stop - 1)
        targets = list(self.targets_)
        others = [j for j in range(len(self.names_)) if j not in targets]
        cov = self.values_[:, others][filled] if others else None
        pred = self._multi_step(self.values_, origins, horizon, cov)
        actual = self.values_[:, targets][filled].astype(np.float64)
        residuals = np.where((rows < stop)[..., None], actual - pred, np.nan)
        self._calibration = residuals
        return residuals

    def _interval_widths(self, horizon: int, levels: tuple[float, ...]) -> np.ndarray:
        """Half-widths ``(n_levels, horizon, n_targets)``, non-decreasing over steps ahead."""
        start, stop = self._calibration_part()
        top = levels[-1]
        need = min_calibration_size(top) + horizon - 1
        if stop - start < need:
            part = (
                f"calibration part has {stop - start} steps"
                if self.n_calibration_
                else f"validation part (the calibration data, as no calibration_size was set) "
                f"has {stop - start} steps"
            )
            raise DataError(
                f"The {part}; {format_level(top)}% intervals over horizon={horizon} need at "
                f"least {need}: step {horizon} ahead has forecasts from only "
                f"{max(stop - start - horizon + 1, 0)} origins in the part (its steps minus "
                f"{horizon - 1}), and a {format_level(top)}% split-conformal interval needs "
                f"{min_calibration_size(top)}. Refit with "
                f"calibration_size={need} or more (a longer series if it is short), or use a "
                "shorter horizon or a lower level."
            )
        return step_widths(self._calibration_residuals(horizon), levels)

    # ---------------------------------------------------------- predicting
    def forecast(self, horizon: int | None = None, X=None, level=None):
        """Forecast the steps after the end of the fitted series, with intervals on request.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to ``self.horizon``. With the recursive strategy it may
            exceed the trained horizon (each prediction is fed back as input).
        X : array or DataFrame, optional
            Future covariates, ``horizon`` rows, when the model was fitted with ``X``.
        level : float or tuple of float, optional
            Prediction interval coverage(s) in percent, e.g. ``95`` or ``(80, 95)``. Split
            conformal, one width per step ahead: the ``ceil((n + 1) * level / 100)``-th
            smallest absolute error of the forecasts from the ``n`` origins of the
            calibration part (see ``calibration_size``) at that step, made non-decreasing
            over the steps (:mod:`forecastkit.intervals`). Computed at the first call for a
            horizon, then reused (and saved with the model).

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels that continue the fitted series, named like the target(s).
            With ``level``: a DataFrame with the forecast column(s) first, then per target
            and level (increasing) ``<target>-lo-<level>`` and ``<target>-hi-<level>``.

        Raises
        ------
        ParameterError
            For a level outside [1, 100), or intervals from a model fitted with
            ``val_size=0`` and no calibration part.
        DataError
            If the calibration part is too short for this horizon and level.

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(datasets.load_airline())
        >>> len(f.forecast(horizon=24))
        24
        >>> f.forecast(3, level=80).columns.tolist()
        ['passengers', 'passengers-lo-80', 'passengers-hi-80']
        """
        self._check_fitted()
        horizon = check_horizon(self.horizon if horizon is None else horizon)
        levels = None if level is None else check_levels(level)
        if hasattr(self, "series_"):  # long-format fit: a long DataFrame
            if levels is not None:
                raise _long.unsupported(
                    "forecast(level=...)",
                    "Use for_series(uid).forecast(h, level=...): intervals calibrated on that "
                    "series' validation part.",
                )
            return _long.forecast_long(self, horizon, X)
        n = len(self.values_)
        pred = self._multi_step(
            self.values_, np.array([n]), horizon, self._future_covariates(X, horizon)
        )
        out = self.time_axis_.wrap(pred[0], start=n, names=self.target_names_)
        if levels is None:
            return out
        widths = self._interval_widths(horizon, levels)  # (n_levels, horizon, n_targets)
        point = np.asarray(pred[0], dtype=np.float64)  # (horizon, n_targets)
        bounds = {}
        for j, name in enumerate(self.target_names_):
            names = interval_columns(name, levels)  # lo, hi of each level in turn
            for i in range(len(levels)):
                bounds[names[2 * i]] = point[:, j] - widths[i, :, j]
                bounds[names[2 * i + 1]] = point[:, j] + widths[i, :, j]
        frame = out.to_frame() if isinstance(out, pd.Series) else out
        return frame.assign(**bounds)

    def predict(self, X=None):
        """Teacher-forced one-step predictions, each from the true previous ``window`` steps.

        Parameters
        ----------
        X : pandas Series, DataFrame or array, optional
            None: over the fitted series. A pandas series that continues the fitted one
            (its labels are the next expected ones, at the fitted spacing): one prediction
            per row, the fitted tail as context. Any other series: one prediction per row
            that has a full window. DataFrame columns are matched by name. For a model
            fitted with covariates (``fit(X, y)``), ``X`` holds future covariates and the
            result is the forecast over those rows.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels of the predicted steps.
        """
        self._check_fitted()
        if hasattr(self, "series_"):  # long-format fit: X None or a long frame
            return _long.predict_long(self, X)
        if self.has_covariates_ and X is not None:
            if n_rows(X) == 0:
                raise DataError(
                    "`X` has no rows: pass the future covariates of the steps to predict, "
                    "one row per step."
                )
            return self.forecast(n_rows(X), X=X)
        d, w = self.transform_.diff, self.window_
        phase = 0
        if X is None:
            values, axis = self.values_, self.time_axis_
            start = w + d
        else:
            X = _in_fitted_order(X, self.names_, "X")
            if self._continues(X):
                new = self._next_steps(X, "X")
                values = np.concatenate([self.values_, new])
                axis, start = self.time_axis_.extend(len(new)), len(self.values_)
            else:
                checked = check_series(X, target=self.target, freq=self.freq)
                if checked.values.shape[1] != len(self.names_):
                    raise DataError(
                        f"`X` must have the fitted columns {list(self.names_)}; got "
                        f"{list(checked.names)}."
                    )
                self.time_axis_.check_same_grid(checked.axis, argname="X")
                values, axis, start = checked.values, checked.axis, w + d
                phase = self._phase(axis)
            _check_log_positive(values[start:], self.transform_, self.targets_, axis, start=start)
        positions = np.arange(start, len(values))
        if len(positions) == 0:
            raise DataError(
                f"`X` has {len(values)} steps; one-step prediction needs more than window={w} "
                f"(+{d} for differencing). Pass a longer series, or one that continues the "
                "fitted series."
            )
        pred = self._one_step(values, positions, phase)
        return axis.wrap(pred, start=start, names=self.target_names_)

    def _continues(self, data) -> bool:
        """Return True when pandas ``data`` carries exactly the labels after the fitted series."""
        if not isinstance(data, pd.Series | pd.DataFrame):
            return False
        return self.time_axis_.continued_by(data.index)

    def _next_steps(self, data, argname: str) -> np.ndarray:
        """Check the values of steps that continue the fitted series (labels already checked).

        The labels were compared with the expected ones, so the values are checked without
        their index: one or two rows need no frequency to be inferred.
        """
        checked = check_series(
            _plain(data), target=self.target, name=argname, warn_constant=False
        )
        if checked.values.shape[1] != len(self.names_):
            raise DataError(
                f"`{argname}` must have the fitted columns {list(self.names_)}; got "
                f"{list(checked.names)}."
            )
        return checked.values

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
            index (its labels are the next expected ones, at the fitted spacing; one row is
            enough) and its columns are matched by name; an array is taken as the next
            steps, columns in the fitted order.
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
        if hasattr(self, "series_"):
            raise _long.unsupported("update()", "Refit on the longer frame.")
        if self.has_covariates_ and X is None:
            raise DataError(
                "This Forecaster was fitted with covariates: pass their values for the new "
                "steps too, update(y_new, X=X_new)."
            )
        if X is not None and not self.has_covariates_:
            raise DataError(
                "This Forecaster was fitted without covariates: call update(y_new) without X."
            )
        if isinstance(y, pd.Series | pd.DataFrame):
            self.time_axis_.check_continued_by(y.index, argname="y")
        if self.has_covariates_:
            targets = [self.names_[j] for j in self.targets_]
            others = [n for j, n in enumerate(self.names_) if j not in self.targets_]
            y, X = _in_fitted_order(y, targets, "y"), _in_fitted_order(X, others, "X")
            pandas = isinstance(y, pd.Series | pd.DataFrame) and isinstance(X, pd.DataFrame)
            if pandas and not X.index.equals(y.index):
                raise DataError("`X` and `y` must share the same index; use X.loc[y.index].")
        else:
            y = _in_fitted_order(y, self.names_, "y")
        if self.has_covariates_:
            new = assemble(_plain(X), _plain(y))[0].values
        else:
            new = self._next_steps(y, "y")
        if new.shape[1] != len(self.names_):
            raise DataError(
                f"`y` (with `X`) must have the fitted columns {list(self.names_)}; got "
                f"{new.shape[1]} columns."
            )
        n, k = len(self.values_), len(new)
        _check_log_positive(new, self.transform_, self.targets_, self.time_axis_, start=n)
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

        After a long-format fit, every series is scored on its own test part, and the
        tables are stacked with the series id as the first index level:
        ``evaluate().groupby(level="model").mean()`` averages over series (MASE is scale
        free; MAE and RMSE are in each series' units).

        Returns
        -------
        pandas.DataFrame
            Rows: model and baseline, one-step and recursive; columns mae, rmse, smape, mase.
            Long-format fits: index ``(id_col, "model")``.

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, test_size=12, verbose=0)
        >>> table = f.fit(datasets.load_airline()).evaluate()
        >>> list(table.columns)
        ['mae', 'rmse', 'smape', 'mase']
        """
        self._check_fitted()
        if hasattr(self, "series_"):
            return _long.evaluate_long(self)
        n_test = self.sizes_[2]
        if n_test == 0:
            raise ParameterError(
                "evaluate() needs a held-out test part: fit with test_size > 0 (e.g. test_size=12)."
            )
        # The fitted series only: steps appended later by update() are not the test part.
        n, m = sum(self.sizes_) + self.n_calibration_, self.season_length_
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
        pass a newer series as ``y``. After a long-format fit every series is backtested
        (see :func:`forecastkit.backtest.backtest`); ``y`` is then None or a long frame.

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

    def for_series(self, uid) -> Forecaster:
        """Return the one-series Forecaster of series ``uid`` of a long-format fit.

        It shares the trained network (nothing is copied or retrained) and holds that
        series' values, time axis, target transform and scaler, so every one-series method
        works on it: ``evaluate``, ``backtest``, ``plot``, ``forecast``, ``update`` (which
        extends the returned Forecaster only, not the global fit).

        Parameters
        ----------
        uid : hashable
            A series id of the fitted long frame.

        Returns
        -------
        Forecaster

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from forecastkit import Forecaster
        >>> frame = pd.DataFrame({
        ...     "unique_id": np.repeat(["a", "b"], 40),
        ...     "ds": np.tile(pd.date_range("2024-01-01", periods=40, freq="D"), 2),
        ...     "y": np.sin(np.arange(80) / 3) + 5,
        ... })
        >>> f = Forecaster(window=7, units=(4,), epochs=1, verbose=0).fit(frame)
        >>> f.for_series("b").forecast(2).index[0]
        Timestamp('2024-02-10 00:00:00')
        """
        self._check_fitted()
        if not hasattr(self, "series_"):
            raise ParameterError(
                "for_series() picks one series of a long-format fit; this Forecaster was "
                "fitted on one series. Use it directly."
            )
        return _long.one_series(self, uid)

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
        if hasattr(self, "series_"):
            return _long.save_long(self, path)
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
                "adjustment": None if self.adjustment_ is None else self.adjustment_.to_dict(),
                "sizes": list(self.sizes_),
                "n_calibration": self.n_calibration_,
                "season_length": self.season_length_,
                "has_covariates": self.has_covariates_,
                "best_epoch": self.best_epoch_,
                "scaler_target": transformer_to_dict(self.scaler_.target_),
                "scaler_features": None
                if self.scaler_.features_ is None
                else transformer_to_dict(self.scaler_.features_),
                **history_to_manifest(self.history_),
            },
        }
        arrays = {"values": self.values_}
        if self._calibration is not None:  # interval residuals, (n_origins, horizon, n_targets)
            arrays["calibration_residuals"] = self._calibration
        save_archive(path, self.model_, manifest, arrays)

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
            if "long" in fitted:
                return _long.load_long(est, model, manifest, arrays, path)
            scaler = SeriesScaler(
                est.scaler, targets=fitted["targets"], n_features=len(fitted["names"])
            )
            scaler.target_ = transformer_from_dict(fitted["scaler_target"])
            scaler.features_ = (
                None
                if fitted["scaler_features"] is None
                else transformer_from_dict(fitted["scaler_features"])
            )
            history = history_from_manifest(fitted)
            est._set_fitted(
                model=model,
                values=np.asarray(arrays["values"], dtype=np.float32),
                axis=TimeAxis.from_dict(fitted["time_axis"]),
                names=fitted["names"],
                targets=fitted["targets"],
                window=fitted["window"],
                out_steps=fitted["out_steps"],
                transform=TargetTransform.from_dict(fitted["transform"]),
                adjustment=SeasonalAdjustment.from_dict(fitted.get("adjustment")),
                scaler=scaler,
                sizes=fitted["sizes"],
                season=fitted["season_length"],
                has_covariates=fitted["has_covariates"],
                history=history,
                best_epoch=fitted["best_epoch"],
                n_calibration=fitted.get("n_calibration", 0),
            )
            _check_loaded(est)
            if "calibration_residuals" in arrays:
                residuals = np.asarray(arrays["calibration_residuals"], dtype=np.float64)
                if residuals.ndim != 3 or residuals.shape[2] != len(est.targets_):
                    raise ValueError(f"calibration_residuals of shape {residuals.shape}")
                est._calibration = residuals
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError) as err:
            raise ModelFileError(
                f"{path!r} has an incomplete or invalid forecastkit manifest ({err!r}). "
                "Save the model again."
            ) from err
        return est

    # ------------------------------------------------------------- display
    def plot(self, horizon: int | None = None, *, level=None, ax=None):
        """Draw the fitted series and the forecast after it; returns the matplotlib Axes.

        ``level`` (e.g. ``(80, 95)``) adds the prediction intervals of
        ``forecast(horizon, level=level)`` as bands.
        """
        from forecastkit.plotting import plot_forecast

        self._check_fitted()
        if hasattr(self, "series_"):
            raise _long.unsupported("plot()", "Plot one series: for_series(uid).plot(h).")
        history = self.time_axis_.wrap(
            self.values_[:, list(self.targets_)], start=0, names=self.target_names_
        )
        return plot_forecast(history, self.forecast(horizon, level=level), ax=ax)


def _distribution_scope(distribution):
    """``(context manager, replicas)`` of a ``tf.distribute.Strategy``, or of None."""
    if distribution is None:
        return contextlib.nullcontext(), 1
    import tensorflow as tf

    if not isinstance(distribution, tf.distribute.Strategy):
        raise ParameterError(
            "`distribution` must be a tf.distribute.Strategy (e.g. "
            "tf.distribute.MirroredStrategy()) or None; got "
            f"distribution={distribution!r} ({type(distribution).__name__})."
        )
    return distribution.scope(), int(distribution.num_replicas_in_sync)

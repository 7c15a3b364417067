"""The Forecaster: a stacked recurrent regressor over sliding windows of pandas series.

``Forecaster`` orchestrates; the work lives in modules with one responsibility each:
:mod:`._adapters` (what the caller passes and gets back: a Series, a wide DataFrame or a
long frame), :mod:`._state` (the fitted state of each series), :mod:`._context` (context
windows and one batched network call for every prediction), :mod:`._calibration` (interval
widths) and :mod:`._state_io` (that state in a model file). One series is a panel of one:
every method runs the same code for one series and for many.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from forecastkit.data.validation import check_horizon
from forecastkit.data.windows import default_window
from forecastkit.estimators import _adapters as io
from forecastkit.estimators._calibration import bounds, interval_widths, log_targets
from forecastkit.estimators._context import Job, multi_step, one_step_predictions, warm_up
from forecastkit.estimators._inputs import n_rows
from forecastkit.estimators._keras import KerasEstimatorMixin
from forecastkit.estimators._network import train_network
from forecastkit.estimators._state import build_states, training_parts
from forecastkit.exceptions import DataError, ParameterError
from forecastkit.intervals import check_levels, interval_columns
from forecastkit.strategies import STRATEGIES

__all__ = ["Forecaster", "default_window"]

_ONE_SERIES = {  # attribute -> SeriesState field, for fits on one series
    "values_": "values",
    "time_axis_": "axis",
    "transform_": "transform",
    "adjustment_": "adjustment",
    "scaler_": "scaler",
    "sizes_": "sizes",
    "n_calibration_": "n_calibration",
}


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
    units : int or tuple of int, default=(32,)
        Units per recurrent layer, bottom to top: ``(50, 100)`` is the stacked tutorial
        network LSTM(50) -> LSTM(100). The default, one layer of 32 units with at most 100
        epochs and a patience of 10, was chosen on the real-series benchmark
        (docs/benchmarks.md, "Defaults chosen on 17 real series"): over its 17 series it is
        more accurate than the stacked network and fits about 3x faster.
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    bidirectional : bool, default=False
    dropout : float, default=0.0
    n_models : int, default=8
        Ensemble members: ``n_models`` networks of this architecture (``units``, ``cell``,
        ...), each from its own seed, trained together by one ``fit`` on the mean of their
        own losses, each member on its own shuffled order of the training windows, so each
        member learns independently of the others; they train as one fused network (every
        weight of all members one variable, one recurrent loop per layer for all members:
        :mod:`forecastkit.models.fused`), so eight members cost about what one network
        costs to trace and 2-3x one LSTM(32) per training step. Training stops on the members' mean
        validation loss and every member keeps the mean of the weights of its own 5 best
        validation epochs (checkpoint averaging). The default of 8 was chosen on the
        real-series benchmark (docs/benchmarks.md, "Session 14" and "Session 15"): as
        accurate as three members over its 17 series and steady from seed to seed (every
        series within a seed max/min of 1.25; three members: 14 of 17), in less total fit
        time than the stacked tutorial network (0.70x in the same run).
        Forecasts, one-step predictions, intervals (calibrated on the ensemble's forecasts),
        evaluation and backtests use the members' mean (taken in the network's scale, before
        the scaling and target transform are undone); in a recursive forecast that mean is
        fed back at every step. ``forecast(h, members=True)`` adds each member's own
        forecast (its own predictions fed back) to show their disagreement. The training
        ``loss`` and ``val_loss`` of ``history_`` are the members' mean MSE (training
        stops on it), ``member_<k>_mse`` and ``val_member_<k>_mse`` each member's own; every
        member keeps the mean of the weights of its own 5 best validation epochs.
        ``n_models=1`` is one network, unchanged (it keeps its best epoch's weights).
    strategy : {"recursive", "direct", "seq2seq"}, default="recursive"
        Recursive: one-step network, predictions fed back (any horizon); every step ahead
        re-reads the whole window. Direct (MIMO): the network outputs ``horizon`` steps at
        once. Seq2seq: a sequence network trained to predict the next value at every
        position of its window (teacher forcing; the loss is the MSE over all positions);
        a forecast reads the window once and then advances the recurrent state ONE step
        per step ahead, feeding each prediction back (any horizon, ``window + horizon``
        cell steps instead of ``window x horizon``; covariates, intervals, ensembles and
        long-format fits work as with "recursive"; not with ``bidirectional``). One-step
        predictions are the output at the last position of the window.
    target_transform : {"auto", "none", "diff", "log", "log-diff"}, default="auto"
        Target transform; "auto" takes logs when the spread grows with the level (Guerrero)
        and first differences when the KPSS test rejects stationarity, from training data.
    seasonal_adjustment : {"auto", "always", "none"}, default="auto"
        "auto": for a series whose season is the yearly cycle of quarterly, monthly and
        weekly data, the weekly cycle of daily (and business-day) data or the daily cycle of
        hourly data, with at least two seasons (+1 step) of training data, remove the
        seasonal indices of the training part (a classical decomposition whose indices weigh
        the latest 7 cycles most, as STL's seasonal smoother does, so a season that changes
        shape is forecast with its recent shape; multiplicative where the transform takes
        logs, additive otherwise) before the network sees the series, and put them back on
        its predictions (:class:`~forecastkit.data.transforms.SeasonalAdjustment`; the KPSS
        choice of differences is then made on the adjusted series). Earlier versions of "auto"
        left the weekly and daily cycles of daily and hourly data to the network; adjusting
        them too cut the real-series benchmark's daily and hourly errors 1.8-3.2x
        (docs/benchmarks.md). "always": any season (``season_length_ >= 2``), also the
        hourly cycle of minute data, which "auto" leaves alone (not measured). "none":
        never. Each series of a long-format fit is adjusted on its own.
    epochs : int, default=100
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
        None (the default rule, per series; it holds out no extra data): a validation part
        of at least 1,000 steps (``forecastkit.data.splits.MIN_SPLIT_VALIDATION``; about
        10,000 steps at ``val_size=0.1``) is split in two, early stopping on its first half
        and the intervals calibrating on its second half (``n_calibration_`` steps), so the
        calibration errors come from rows that neither training nor the choice of the
        epoch saw, and the network trains on the same rows as without intervals. A shorter
        validation part stays whole (halving it would double the noise of the widths) and
        also calibrates the intervals; early stopping picked the epoch that did best there,
        so those intervals can under-cover a little, and a short part gives noisy widths:
        set ``calibration_size`` when coverage matters on a short series. 0: never split
        (the validation part calibrates). An interval over ``h`` steps at level ``L`` needs
        ``ceil(L / (100 - L)) + h - 1`` calibration steps (19 + h - 1 at 95%). See
        "Prediction intervals" in the user guide.
    scaler : scikit-learn transformer or None, default=None
        None means StandardScaler; fitted on the training part only.
    patience : int, default=10
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
        ``loss``, ``val_loss`` and ``learning_rate`` per epoch (1-based index); with
        ``n_models > 1`` also each member's ``member_<k>_mse`` and ``val_member_<k>_mse``
        (``loss`` and ``val_loss`` are then the members' mean).
    best_epoch_ : int
        The epoch whose weights were restored (an ensemble: the best epoch of the members'
        mean loss; every member restores the mean of its own 5 best epochs).
    n_calibration_ : int
        Steps of the calibration part (0: intervals calibrate on the validation part); with
        ``calibration_size=None``, the second half of a validation part of 1,000 steps or more.
    window_, season_length_ : int
    transform_ : TargetTransform
    adjustment_ : SeasonalAdjustment or None
        The seasonal indices removed before the transform (see ``seasonal_adjustment``).
    scaler_ : SeriesScaler
    time_axis_ : TimeAxis
    n_features_in_ : int
    series_ : dict
        Series id -> :class:`~forecastkit.estimators._state.SeriesState` (values, time axis,
        split sizes, seasonal adjustment, transform, scaler, season, calibration part): one
        entry with id None after ``fit(series)``, one per id after a long-format fit. The
        one-series attributes above (``time_axis_``, ``transform_``, ...) read the only
        entry; after a long-format fit they are absent (use ``series_[uid]``).
    input_kind_ : {"series", "long"}
        The shape of the fitted input, which the outputs mirror.
    n_series_ : int

    Examples
    --------
    >>> from forecastkit import Forecaster, datasets
    >>> y = datasets.load_airline()
    >>> f = Forecaster(units=(8,), epochs=2, verbose=0, random_state=0).fit(y)
    >>> f.forecast(3).index[0]
    Timestamp('1961-01-01 00:00:00')
    """

    _fit_hint = "fit(series)"
    # Files written before ensembles existed hold one network and no `n_models`.
    _absent_params: ClassVar[dict[str, object]] = {"n_models": 1}
    _compiled = ("_predict_fn", "_recursion", "_members")  # rebuilt by __setstate__ / lazily

    def __init__(
        self,
        window: int | None = None,
        *,
        horizon: int = 1,
        units=(32,),
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        n_models: int = 8,
        strategy: str = "recursive",
        target_transform: str = "auto",
        seasonal_adjustment: str = "auto",
        epochs: int = 100,
        batch_size: int = 32,
        optimizer="adam",
        learning_rate: float = 3e-3,
        val_size=0.1,
        test_size=0,
        calibration_size=None,
        scaler=None,
        patience: int = 10,
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
        self.n_models = n_models
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
        """Fit the network on a series, or one global network on many.

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

        Notes
        -----
        Every series gets its own split, seasonal adjustment, target transform and scaler
        from its own training part; the window and the choice of differencing are shared
        (:func:`~forecastkit.estimators._state.build_states`). Training windows from every
        series train one network.
        """
        if self.strategy not in STRATEGIES:
            raise ParameterError(
                f"`strategy` must be one of {sorted(STRATEGIES)}; got strategy={self.strategy!r}."
            )
        if self.strategy == "seq2seq" and self.bidirectional:
            raise ParameterError(
                "strategy='seq2seq' carries the recurrent state forward one step at a time, "
                "which a bidirectional layer (reading each window backwards too) cannot do; "
                "use bidirectional=False, or strategy='recursive' with bidirectional=True."
            )
        if self.seasonal_adjustment not in ("auto", "always", "none"):
            raise ParameterError(
                "`seasonal_adjustment` must be 'auto', 'always' or 'none'; got "
                f"seasonal_adjustment={self.seasonal_adjustment!r}."
            )
        # Memory (bench/memory.py): a series' values may be a read-only view of the caller's
        # data until training ends; it is copied after, once the scaled series is gone.
        parts, names, targets, has_covariates, kind = io.fit_parts(self, X, y)
        if has_covariates and self.strategy == "direct":
            raise ParameterError(
                "strategy='direct' predicts every step at once from the past window, so it "
                "cannot use the future values of covariates; use strategy='recursive' with "
                "fit(X, y), or fit(y) alone."
            )
        targets = list(targets)
        states, adjusted, window, out_steps, season = build_states(self, parts, targets)
        del parts
        train, val, prepare, lag = training_parts(states, adjusted, window, targets)
        del adjusted
        model, history, best_epoch = train_network(
            self,
            train,
            val,
            window=window,
            n_features=len(names),
            out_steps=out_steps,
            n_targets=len(targets),
            targets=targets,
            prepare=prepare,
            lag=lag,
        )
        del train, val, prepare
        for state in states.values():
            if not state.values.flags.writeable:  # a view of the caller's data: keep a copy
                state.values = state.values.copy()
        self._set_fitted(
            model=model,
            states=states,
            names=names,
            targets=targets,
            window=window,
            out_steps=out_steps,
            season=season,
            has_covariates=has_covariates,
            input_kind=kind,
            history=history,
            best_epoch=best_epoch,
        )
        warm_up(self)
        return self

    def _set_fitted(
        self,
        *,
        model,
        states,
        names,
        targets,
        window,
        out_steps,
        season,
        has_covariates,
        input_kind,
        history,
        best_epoch,
    ):
        """Store learned state (shared by fit, load and for_series)."""
        from forecastkit.estimators._context import compiled_network

        self.model_ = model
        self.series_ = dict(states)
        self.input_kind_ = str(input_kind)
        self.n_series_ = len(self.series_)
        self.names_ = tuple(str(n) for n in names)
        self.targets_ = tuple(int(t) for t in targets)
        self.window_ = int(window)
        self.out_steps_ = int(out_steps)
        self.season_length_ = int(season)
        self.has_covariates_ = bool(has_covariates)
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_features_in_ = len(names) - len(targets) if has_covariates else len(names)
        self._predict_fn, self._recursion = compiled_network(model, self.targets_, self.strategy)
        self._members = None

    # ------------------------------------------------------------ helpers
    def __getattr__(self, name):
        """One-series attributes (``values_``, ``time_axis_``, ...) read the only series."""
        field = _ONE_SERIES.get(name)
        if field is None or "series_" not in vars(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if self.input_kind_ != io.SERIES:
            raise AttributeError(
                f"{name!r} belongs to a one-series fit; this Forecaster was fitted on "
                f"{self.n_series_} series in long format: read series_[uid].{field}, or "
                "use for_series(uid)."
            )
        return getattr(self.series_[None], field)

    @property
    def target_names_(self) -> list[str]:
        """Names of the predicted columns."""
        return [self.names_[j] for j in self.targets_]

    @property
    def _covariate_columns(self) -> list[int]:
        """Positions of the covariate (non-target) columns among ``names_``."""
        return [j for j in range(len(self.names_)) if j not in self.targets_]

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
            from forecastkit.estimators._context import compiled_network

            self._predict_fn, self._recursion = compiled_network(
                self.model_, self.targets_, self.strategy
            )

    def _member_views(self) -> list[Forecaster]:
        """One shallow copy per ensemble member, forecasting with that member's network.

        Built (and compiled) at the first call, then reused; the views share everything
        else (series states, parameters) with this Forecaster.
        """
        import copy

        from forecastkit.estimators._context import compiled_network
        from forecastkit.models.builders import member_models

        if getattr(self, "_members", None) is None:
            views = []
            for member in member_models(self.model_):
                view = copy.copy(self)
                view.model_ = member
                view._predict_fn, view._recursion = compiled_network(
                    member, self.targets_, self.strategy
                )
                views.append(view)
            self._members = views
        return self._members

    def _only(self):
        """Return the state of a one-series fit (internal helpers that take one series' rows)."""
        if self.input_kind_ != io.SERIES:
            raise ParameterError("This helper works on one series; use for_series(uid).")
        return self.series_[None]

    def _multi_step(self, values, positions, horizon, covariates=None, phase=0) -> np.ndarray:
        """Forecasts ``(len(positions), horizon, n_targets)`` of one series' ``values``."""
        job = Job(self._only(), values, np.asarray(positions), phase, covariates)
        return multi_step(self, [job], horizon)[0]

    def _one_step(self, values, positions, phase: int = 0) -> np.ndarray:
        """Teacher-forced one-step predictions ``(len(positions), n_targets)``."""
        job = Job(self._only(), values, np.asarray(positions), phase)
        return one_step_predictions(self, [job])[0]

    # ---------------------------------------------------------- predicting
    def forecast(self, horizon: int | None = None, X=None, level=None, members: bool = False):
        """Forecast the steps after the end of every fitted series, with intervals on request.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to ``self.horizon``. With the recursive and seq2seq
            strategies it may exceed the trained horizon (each prediction is fed back as
            input).
        X : array or DataFrame, optional
            Future covariates, ``horizon`` rows, when the model was fitted with ``X``.
        level : float or tuple of float, optional
            Prediction interval coverage(s) in percent, e.g. ``95`` or ``(80, 95)``. Split
            conformal, one width per step ahead and series: the ``ceil((n + 1) * level /
            100)``-th smallest absolute error of the forecasts from the ``n`` origins of
            the series' calibration part (see ``calibration_size``) at that step, made
            non-decreasing over the steps (:mod:`forecastkit.intervals`). Computed at the
            first call for a horizon (all series in one batched call), then reused (and
            saved with the model). Where a series' target transform takes logs, the errors
            are log errors and the bounds ``forecast * exp(-/+ width)``: asymmetric, always
            positive, proportional to the forecast; otherwise ``forecast -/+ width``.
        members : bool, default=False
            Also return each ensemble member's own forecast (see ``n_models``): columns
            ``<target>-member-<k>`` (``Forecaster-member-<k>`` in long format) after the
            others, ``k = 0 .. n_models - 1``. Each member path is that member's recursive
            forecast with its own predictions fed back, so their spread shows how much the
            members disagree. The forecast is the members' mean in the network's scale
            (after the target transform and seasonal adjustment: with a log transform, a
            geometric mean in levels): at the first step (and at every step with
            ``strategy="direct"``) it is the mean of the member paths in that scale, while
            later recursive steps of the forecast feed back the members' mean. A single
            network gives one member column, equal to the forecast.

        Returns
        -------
        pandas.Series or DataFrame
            One series: indexed by the labels that continue the fitted series, named like
            the target(s); with ``level``, a DataFrame with the forecast column(s) first,
            then per target and level (increasing) ``<target>-lo-<level>`` and
            ``<target>-hi-<level>``. Long-format fit: a long DataFrame ``[id_col,
            time_col, "Forecaster"]`` (+ ``Forecaster-lo-<level>``, ``Forecaster-hi-<level>``).

        Raises
        ------
        ParameterError
            For a level outside [1, 100), or intervals from a model fitted with
            ``val_size=0`` and no calibration part.
        DataError
            If a calibration part is too short for this horizon and level.

        Examples
        --------
        >>> from forecastkit import Forecaster, datasets
        >>> f = Forecaster(window=12, units=(4,), epochs=1, verbose=0).fit(datasets.load_airline())
        >>> len(f.forecast(horizon=24))
        24
        >>> f.forecast(3, level=80).columns.tolist()
        ['passengers', 'passengers-lo-80', 'passengers-hi-80']

        An ensemble of three small networks, and how far apart its members are:

        >>> e = Forecaster(window=12, units=(4,), n_models=3, epochs=1, verbose=0)
        >>> paths = e.fit(datasets.load_airline()).forecast(6, members=True)
        >>> paths.columns.tolist()[1:]
        ['passengers-member-0', 'passengers-member-1', 'passengers-member-2']
        >>> spread = paths.iloc[:, 1:].max(axis=1) - paths.iloc[:, 1:].min(axis=1)
        """
        self._check_fitted()
        horizon = check_horizon(self.horizon if horizon is None else horizon)
        for state in self.series_.values():
            state.axis.check_future(horizon)
        levels = None if level is None else check_levels(level)
        if not isinstance(members, bool | np.bool_):
            raise ParameterError(
                f"`members` must be True or False; got {members!r:.40}. Pass members=True to "
                "add each ensemble member's forecast."
            )
        if self.input_kind_ == io.LONG and X is not None:
            raise ParameterError(
                "This Forecaster was fitted on a long-format frame, which has no covariates; "
                "call forecast(horizon) without X."
            )
        cov = None if self.input_kind_ == io.LONG else io.future_covariates(self, X, horizon)
        jobs = [Job(s, s.values, np.array([len(s.values)]), 0, cov) for s in self.series_.values()]
        preds = multi_step(self, jobs, horizon)
        widths = {} if levels is None else interval_widths(self, self.series_, horizon, levels)
        views = self._member_views() if members else []
        paths = [multi_step(view, jobs, horizon) for view in views]
        names = io.value_names(self)
        pieces = {}
        for i, ((uid, state), pred) in enumerate(zip(self.series_.items(), preds, strict=True)):
            out = state.axis.wrap(pred[0], start=len(state.values), names=names)
            if levels is not None:
                lo, hi = bounds(pred[0], widths[uid], log_targets(state))
                out = _with_bounds(out, lo, hi, names, levels)
            if members:
                out = _with_members(out, [path[i][0] for path in paths], names)
            pieces[uid] = out
        return io.output(self, pieces)

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
            result is the forecast over those rows. After a long-format fit: a long frame
            of fitted ids, each series continuing its fitted one or not, as above.

        Returns
        -------
        pandas.Series or DataFrame
            Indexed by the labels of the predicted steps (a long frame after a long fit).
        """
        self._check_fitted()
        if self.has_covariates_ and X is not None:
            if n_rows(X) == 0:
                raise DataError(
                    "`X` has no rows: pass the future covariates of the steps to predict, "
                    "one row per step."
                )
            return self.forecast(n_rows(X), X=X)
        if X is None:
            inputs = dict.fromkeys(self.series_)
        else:
            inputs = io.per_series(self, X, "X")
        jobs, places = [], []
        for uid, data in inputs.items():
            with io.series_errors(uid, self.input_kind_):
                job, axis, start = io.predict_job(self, self.series_[uid], data)
            jobs.append(job)
            places.append((uid, axis, start))
        preds = one_step_predictions(self, jobs)
        names = io.value_names(self)
        pieces = {
            uid: axis.wrap(pred, start=start, names=names)
            for (uid, axis, start), pred in zip(places, preds, strict=True)
        }
        return io.output(self, pieces)

    def score(self, X, y, sample_weight=None) -> float:
        """R² of the one-step predictions ``predict(X)`` against ``y``, matched by label.

        scikit-learn's default score, made safe for windows: ``predict`` gives no prediction
        for the first ``window`` steps of a series that does not continue the fitted one, so
        ``y`` is compared on the labels that have a prediction (pandas ``y``; a long frame
        by id and time). An array ``y`` must have one value per prediction.

        Parameters
        ----------
        X : pandas Series, DataFrame or long frame
            As for :meth:`predict` (``X == y`` without covariates, as in ``score(y, y)``).
        y : pandas Series, DataFrame, long frame or array
            The true values.
        sample_weight : array-like, optional
            One weight per prediction.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from forecastkit import Forecaster
        >>> y = pd.Series(np.sin(np.arange(80) / 3), name="y")
        >>> f = Forecaster(window=6, units=(4,), epochs=2, random_state=0, verbose=0).fit(y)
        >>> bool(f.score(y, y) <= 1.0)
        True
        """
        from sklearn.metrics import r2_score

        pred = self.predict(X)
        if self.input_kind_ == io.LONG and isinstance(y, pd.DataFrame):
            keys = [self.id_col, self.time_col]
            truth = pred[keys].merge(y, on=keys, how="left")[self.target_col]
            pred = pred[type(self).__name__]
        elif isinstance(y, pd.Series | pd.DataFrame):
            missing = pred.index.difference(y.index)
            if len(missing):
                raise DataError(
                    f"`y` has no value at {len(missing)} predicted label(s), e.g. "
                    f"{missing[0]!s}. Pass the true values of the rows of `X`."
                )
            truth = y.loc[pred.index]
            if isinstance(truth, pd.DataFrame):  # the predicted columns of a frame of them
                columns = list(pred.columns) if isinstance(pred, pd.DataFrame) else [pred.name]
                truth = truth[columns] if set(columns) <= set(truth.columns) else truth
        else:
            truth = np.asarray(y)
            if len(truth) != len(pred):
                raise DataError(
                    f"`y` has {len(truth)} values for {len(pred)} predictions (the first "
                    f"window={self.window_} steps of a new series have none). Pass pandas "
                    "`y` to match them by label, or the values of the predicted rows."
                )
        if np.isnan(np.asarray(truth, dtype=float)).any():
            raise DataError("`y` has no value (or NaN) at some predicted rows; pass them all.")
        return float(r2_score(truth, pred, sample_weight=sample_weight))

    def update(self, y, X=None) -> Forecaster:
        """Append new observations after the fitted series, without refitting the network.

        The next :meth:`forecast` (and :meth:`predict` with no argument) starts after them.
        The cost is proportional to the number of new steps, not to the history length: the
        history grows in a buffer that doubles when full, and a forecast reads only the last
        ``window`` steps. The network's weights, the scalers and the target transforms stay
        as fitted; refit from time to time when the series drift. Every new piece is checked
        before any is appended: a refused update changes nothing.

        Parameters
        ----------
        y : pandas Series, DataFrame or array
            The new steps of the fitted column(s). A pandas input must continue the fitted
            index (its labels are the next expected ones, at the fitted spacing; one row is
            enough) and its columns are matched by name; an array is taken as the next
            steps, columns in the fitted order. After a long-format fit: a long frame with
            new steps of some or all fitted series, each continuing its own series.
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
        if self.input_kind_ == io.LONG and X is not None:
            raise DataError(
                "This Forecaster was fitted on a long-format frame, which has no covariates: "
                "call update(frame) without X."
            )
        inputs = io.per_series(self, y, "y")
        new = {}
        for uid, data in inputs.items():
            with io.series_errors(uid, self.input_kind_):
                new[uid] = io.update_rows(self, self.series_[uid], data, X)
        for uid, rows in new.items():  # all checked: now append
            self.series_[uid].append(rows)
        return self

    # ---------------------------------------------------------- evaluation
    def evaluate(self) -> pd.DataFrame:
        """Held-out metrics of one-step and recursive prediction beside the seasonal naive.

        Needs ``test_size > 0`` at fit. One-step: each test step from the true previous
        window. Recursive: one forecast over the whole test part from its start. The
        seasonal-naive baseline (season from the frequency, 1 = naive) is scored the same
        two ways. MASE is scaled by the seasonal-naive in-sample error before the test part.

        After a long-format fit, every series is scored on its own test part (all series'
        predictions in one batched call per kind and test length), and the tables are
        stacked with the series id as the first index level:
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
        from forecastkit.estimators._evaluation import evaluate

        self._check_fitted()
        return evaluate(self)

    def backtest(self, y=None, horizon=None, n_origins=None, step=1):
        """Rolling-origin evaluation beside the seasonal naive, all origins in one call.

        Delegates to :func:`forecastkit.backtest.backtest` (no refitting; there, ``refit=``
        refits a clone before every origin). By default the origins lie in the steps the
        model never fitted on: its held-out part (fit with ``test_size``), steps added by
        :meth:`update`, or the newer steps of ``y``; a model fitted on every step is
        backtested inside its training data, which flatters it. After a long-format fit
        every series is backtested, all origins of all series in one batched call; ``y`` is
        then None or a long frame.

        Parameters
        ----------
        y : pandas Series or DataFrame, optional
            None: the fitted series; otherwise one that starts with or continues it.
        horizon : int, optional
            Steps per origin; defaults to ``self.horizon``.
        n_origins : int, optional
            Number of origins (per series), the last at ``n_steps - horizon``; None: every
            origin after the steps the fit used (an unseen part shorter than the horizon is
            refused; a model fitted on every step gets every origin with enough history).
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

    # The protocol of forecastkit.backtest: the series to backtest and batched forecasts.
    def _backtest_series(self, y) -> dict:
        """``{id: (values, axis)}`` of the series to backtest (the fitted ones or ``y``)."""
        from forecastkit.backtest import starting_or_continuing

        if y is None:
            return {uid: (s.values, s.axis) for uid, s in self.series_.items()}
        out = {}
        for uid, data in io.per_series(self, y, "y").items():
            state = self.series_[uid]
            with io.series_errors(uid, self.input_kind_):
                out[uid] = starting_or_continuing(self, state.values, state.axis, data)
        return out

    def _backtest_forecasts(self, series: dict, origins: dict, horizon: int) -> dict:
        """Forecasts ``(n_origins, horizon, n_targets)`` per id, in one batched call."""
        others = self._covariate_columns
        jobs = []
        for uid, (values, _) in series.items():
            o = origins[uid]
            cov = None
            if others:
                rows = o[:, None] + np.arange(horizon)[None, :]
                cov = np.asarray(values)[:, others][rows]
            jobs.append(Job(self.series_[uid], values, o, 0, cov))
        return dict(zip(series, multi_step(self, jobs, horizon), strict=True))

    def _min_history(self, uid) -> int:
        """Fewest earlier steps an origin of series ``uid`` needs."""
        return self.window_ + self.series_[uid].transform.diff

    def _seen_steps(self, uid) -> int:
        """Return the steps of series ``uid`` the fit used (default origins come after them)."""
        return self.series_[uid].n_seen

    def _season_length(self, uid) -> int:
        """Season of series ``uid`` (the naive baseline's and the MASE scale's)."""
        return self.series_[uid].season_length

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
        from sklearn.base import clone

        self._check_fitted()
        if self.input_kind_ != io.LONG:
            raise ParameterError(
                "for_series() picks one series of a long-format fit; this Forecaster was "
                "fitted on one series. Use it directly."
            )
        try:
            known_id = uid in self.series_
        except TypeError:  # unhashable: a list, a frame, ...
            known_id = False
        if not known_id:
            known = list(self.series_)
            raise DataError(
                f"No series {uid!r} in this fit; its ids are {known[:20]}"
                f"{' ...' if len(known) > 20 else ''}. Pass one of them."
            )
        state = self.series_[uid]
        view = clone(self)
        view._set_fitted(
            model=self.model_,
            states={None: state.copy()},
            names=self.names_,
            targets=self.targets_,
            window=self.window_,
            out_steps=self.out_steps_,
            season=state.season_length,
            has_covariates=False,
            input_kind=io.SERIES,
            history=self.history_,
            best_epoch=self.best_epoch_,
        )
        view._predict_fn, view._recursion = self._predict_fn, self._recursion  # compiled once
        return view

    # --------------------------------------------------------- persistence
    # save() and load() come from KerasEstimatorMixin; these hooks hold the Forecaster's part.
    def _fitted_state(self) -> tuple[dict, dict]:
        """Return the manifest's ``fitted`` entries and the arrays (see :mod:`._state_io`)."""
        from forecastkit.estimators._state_io import states_to_manifest

        entries, arrays = states_to_manifest(self.series_, self.id_col)
        fitted = {
            "input_kind": self.input_kind_,
            "names": list(self.names_),
            "targets": list(self.targets_),
            "window": self.window_,
            "out_steps": self.out_steps_,
            "season_length": self.season_length_,
            "has_covariates": self.has_covariates_,
            "series": entries,
        }
        return fitted, arrays

    @staticmethod
    def _history_section(fitted: dict) -> dict:
        """Return the dict holding the history: format-1 long-format files nest it."""
        return fitted["long"] if "long" in fitted else fitted

    def _restore_fitted(self, model, fitted: dict, arrays, *, history, best_epoch) -> None:
        """Inverse of :meth:`_fitted_state` (reads format-1 layouts too)."""
        from forecastkit.estimators._state_io import states_from_manifest, upgrade_fitted

        fitted, arrays = upgrade_fitted(fitted, dict(arrays), self.get_params())
        names, targets = list(fitted["names"]), [int(t) for t in fitted["targets"]]
        states = states_from_manifest(
            fitted, arrays, scaler=self.scaler, targets=targets, n_features=len(names)
        )
        self._set_fitted(
            model=model,
            states=states,
            names=names,
            targets=targets,
            window=fitted["window"],
            out_steps=fitted["out_steps"],
            season=fitted["season_length"],
            has_covariates=fitted["has_covariates"],
            input_kind=fitted["input_kind"],
            history=history,
            best_epoch=best_epoch,
        )

    @staticmethod
    def _check_manifest_keys(fitted: dict) -> None:
        """Refuse series entries with keys forecastkit never writes (an edited file)."""
        from forecastkit.estimators._state_io import check_entry_keys

        check_entry_keys(fitted)

    def _check_loaded(self) -> None:
        """Raise ValueError where the loaded manifest disagrees with its arrays or network."""
        from forecastkit.estimators._state_io import check_loaded

        check_loaded(self)
        warm_up(self, loaded=True)  # a sound file: compile what the first forecast needs

    # ------------------------------------------------------------- display
    def plot(self, horizon: int | None = None, *, level=None, ids=None, ax=None):
        """Draw the fitted series and the forecast after it.

        One series: returns the matplotlib Axes. Long-format fit: small multiples
        (:func:`~forecastkit.plotting.plot_panel`), one panel per series of ``ids`` (default:
        the first 12 series), returns the array of Axes.
        ``level`` (e.g. ``(80, 95)``) adds the prediction intervals of
        ``forecast(horizon, level=level)`` as bands.
        """
        from forecastkit.plotting import plot_forecast, plot_panel

        self._check_fitted()
        if self.input_kind_ != io.LONG:
            if ids is not None:
                raise ParameterError("`ids` selects series of a long-format fit; drop ids=.")
            return plot_forecast(io.history(self), self.forecast(horizon, level=level), ax=ax)
        chosen = list(self.series_) if ids is None else list(ids)
        view = self._subset(chosen)
        return plot_panel(
            io.history(view),
            view.forecast(horizon, level=level),
            id_col=self.id_col,
            time_col=self.time_col,
            axes=ax,
        )

    def _subset(self, ids) -> Forecaster:
        """Return a Forecaster over some series of a long-format fit (shares network and states)."""
        unknown = [uid for uid in ids if uid not in self.series_]
        if unknown:
            raise DataError(
                f"No series {unknown[:20]} in this fit; its ids are {list(self.series_)[:20]}."
            )
        view = object.__new__(type(self))  # not copy.copy: it would recompile the network
        view.__dict__.update(self.__dict__)
        view.series_ = {uid: self.series_[uid] for uid in ids}
        view.n_series_ = len(view.series_)
        return view


def _with_members(out, paths, names) -> pd.DataFrame:
    """Add ``<name>-member-<k>`` columns: member ``k``'s forecast ``paths[k]`` (h, n_targets)."""
    columns = {
        f"{name}-member-{k}": np.asarray(path, dtype=np.float64)[:, j]
        for j, name in enumerate(names)
        for k, path in enumerate(paths)
    }
    frame = out.to_frame() if isinstance(out, pd.Series) else out
    return frame.assign(**columns)


def _with_bounds(out, lo, hi, names, levels) -> pd.DataFrame:
    """Add ``<name>-lo-<level>`` / ``<name>-hi-<level>`` columns after the point forecasts."""
    columns_of = {}
    for j, name in enumerate(names):
        columns = interval_columns(name, levels)  # lo, hi of each level in turn
        for i in range(len(levels)):
            columns_of[columns[2 * i]] = lo[i, :, j]
            columns_of[columns[2 * i + 1]] = hi[i, :, j]
    frame = out.to_frame() if isinstance(out, pd.Series) else out
    return frame.assign(**columns_of)

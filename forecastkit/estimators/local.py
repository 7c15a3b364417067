"""One independent model per series of a long frame, fitted in parallel with joblib.

The fits run on any joblib backend (local loky processes by default) or on a Dask cluster
(``backend="dask"``: one task per series on the cluster of the current
``distributed.Client``, through ``client.map``). forecastkit schedules nothing itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
import zlib

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from forecastkit.data.long import is_frame_groups, is_series_id, split_long_groups, to_long
from forecastkit.exceptions import NotFittedError, ParameterError

__all__ = ["LocalForecasters"]


class LocalForecasters(BaseEstimator):
    """Fit a clone of one forecaster to every series of a long frame, ``n_jobs`` at a time.

    The opposite of a global model (``Forecaster().fit(long_frame)``, one network for all
    series): each series gets its own model, fitted on that series only. Fits run in
    parallel worker processes (joblib's loky backend) or on a Dask cluster
    (``backend="dask"``); each clone gets a seed derived from ``random_state`` and the
    series id, so the forecasts are identical for any ``n_jobs`` and backend (and do not
    depend on which other series are in the frame).

    Parameters
    ----------
    estimator : forecaster, default=None
        The template, cloned per series: any forecastkit forecaster with ``fit(series)``,
        ``forecast(horizon)`` and ``predict()`` (``Forecaster``, ``NaiveForecaster``).
        None means ``Forecaster()``. Its own ``random_state`` is replaced by the per-series
        seeds.
    n_jobs : int or None, default=None
        Parallel fits (joblib semantics: None means 1, -1 all cores). Each worker is a
        process that imports TensorFlow once (a few seconds), so parallel fits pay off for
        many or long series. Ignored by ``backend="dask"`` (every worker thread of the
        cluster).
    backend : str or None, default=None
        Where the fits run. None: joblib's current backend (loky processes on this
        machine, unless set by ``joblib.parallel_config``). ``"dask"``: the Dask cluster of
        the current ``distributed.Client`` (create the client first, e.g.
        ``Client("tcp://scheduler:8786")``; needs the ``cluster`` extra, ``pip install
        forecastkit[cluster]``): every series is one task (``client.map``), fitted on a
        Dask worker and sent back. Any other name is a joblib backend
        (``parallel_config(backend=...)``).
    id_col, time_col, target_col : str, default="unique_id", "ds", "y"
        Columns of the long frame.
    random_state : int or None, default=None
        Base seed. Series ``uid`` is fitted with
        ``SeedSequence([random_state, crc32(repr(uid))])``; None draws a fresh base seed
        at every fit (forecasts then differ between fits, but not between ``n_jobs``).

    Attributes
    ----------
    estimators_ : dict
        The fitted clone of each series, by id, in the order the ids first appear.
    seeds_ : dict
        The seed each clone was fitted with, by id.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from forecastkit import Forecaster, LocalForecasters
    >>> frame = pd.DataFrame({
    ...     "unique_id": np.repeat(["a", "b"], 30),
    ...     "ds": np.tile(pd.date_range("2024-01-01", periods=30, freq="D"), 2),
    ...     "y": np.sin(np.arange(60) / 3) + 5,
    ... })
    >>> template = Forecaster(window=5, units=(4,), epochs=1, verbose=0)
    >>> local = LocalForecasters(template, random_state=0).fit(frame)
    >>> local.forecast(2).shape
    (4, 3)
    """

    def __init__(
        self,
        estimator=None,
        *,
        n_jobs: int | None = None,
        backend: str | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        random_state: int | None = None,
    ):
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.backend = backend
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.random_state = random_state

    def fit(self, X, y=None) -> LocalForecasters:
        """Fit one clone of ``estimator`` per series of the long frame ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or iterable of pandas.DataFrame
            Long format: columns ``id_col``, ``time_col``, ``target_col``. Or long frames
            one group of series at a time, e.g.
            :func:`~forecastkit.data.long.read_parquet_groups` (a Parquet folder file by
            file): each group is split and fitted before the next is read, so the data in
            memory at a time is one group (plus the fitted models); a series must lie in
            one group.
        y : None
            Unused (the frame holds the targets).

        Returns
        -------
        self
        """
        if y is not None:
            raise ParameterError("Call fit(frame) with a long frame; `y` is not used.")
        if not isinstance(X, pd.DataFrame) and not is_frame_groups(X):
            raise ParameterError(
                f"`X` must be a long-format DataFrame with columns {self.id_col!r}, "
                f"{self.time_col!r}, {self.target_col!r}, or a list or iterator of such frames "
                f"(e.g. read_parquet_groups(path)); got {type(X).__name__}."
            )
        groups = split_long_groups(
            [X] if isinstance(X, pd.DataFrame) else X,
            id_col=self.id_col,
            time_col=self.time_col,
            target_col=self.target_col,
        )
        template = self._template()
        base = self.random_state
        if base is None:
            base = int(np.random.SeedSequence().generate_state(1)[0])
        estimators, seeds = {}, {}
        with _parallel_backend(self.backend):
            fit_all = _fitter(self.backend, self.n_jobs)
            for parts in groups:  # one group's series in memory at a time (and the models)
                jobs = []
                for uid, checked in parts:
                    seeds[uid] = series_seed(base, uid)
                    est = clone(template)
                    if "random_state" in est.get_params():
                        est.set_params(random_state=seeds[uid])
                    resume_dir = est.get_params().get("resume_dir")
                    if resume_dir is not None:  # one backup per series: a shared one is refused
                        digest = hashlib.sha256(repr(uid).encode()).hexdigest()[:16]
                        est.set_params(
                            resume_dir=os.path.join(os.fspath(resume_dir), f"series-{digest}")
                        )
                    series = checked.axis.wrap(checked.values, start=0, names=[self.target_col])
                    jobs.append((uid, est, series))
                del parts
                fitted = fit_all([(est, series) for _, est, series in jobs])
                estimators.update((job[0], out) for job, out in zip(jobs, fitted, strict=True))
                del jobs, fitted
        self.estimators_ = estimators
        self.seeds_ = seeds
        return self

    def forecast(self, horizon: int | None = None) -> pd.DataFrame:
        """Forecast every series with its own model.

        Parameters
        ----------
        horizon : int, optional
            Steps after each series' end; defaults to each model's ``horizon``.

        Returns
        -------
        pandas.DataFrame
            Columns ``[id_col, time_col, "LocalForecasters"]``; each series' rows carry the
            labels that continue that series.
        """
        self._check_fitted()
        pieces = [est.forecast(horizon) for est in self.estimators_.values()]
        return self._stack(pieces)

    def predict(self) -> pd.DataFrame:
        """Teacher-forced one-step predictions over every fitted series (long frame).

        Returns
        -------
        pandas.DataFrame
            Columns ``[id_col, time_col, "LocalForecasters"]``.
        """
        self._check_fitted()
        return self._stack([est.predict() for est in self.estimators_.values()])

    # --------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save every series' model into one ``.zip`` bundle, atomically, without pickle.

        Each fitted estimator is saved with its own ``save`` (a ``.keras`` archive with its
        manifest) and stored unchanged in the bundle, beside a manifest with the
        parameters, the template, the series ids (strings or integers) and their seeds,
        and the SHA-256 of every member (:func:`forecastkit.persistence.save_bundle`).

        Parameters
        ----------
        path : str or os.PathLike
            Destination, ending in ``.zip``; replaced atomically if it exists.

        Raises
        ------
        ParameterError
            If the template cannot be saved (it has no ``save``/``load``, e.g.
            ``NaiveForecaster``), or a series id is not a string or an integer.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np, pandas as pd
        >>> from forecastkit import Forecaster, LocalForecasters
        >>> frame = pd.DataFrame({
        ...     "unique_id": np.repeat(["a", "b"], 30),
        ...     "ds": np.tile(pd.date_range("2024-01-01", periods=30, freq="D"), 2),
        ...     "y": np.sin(np.arange(60) / 3) + 5,
        ... })
        >>> template = Forecaster(window=5, units=(4,), epochs=1, verbose=0)
        >>> local = LocalForecasters(template, random_state=0).fit(frame)
        >>> path = os.path.join(tempfile.mkdtemp(), "local.zip")
        >>> local.save(path)
        >>> LocalForecasters.load(path).forecast(2).equals(local.forecast(2))
        True
        """
        import tempfile

        from forecastkit.persistence import check_ids, encode_params, save_bundle

        self._check_fitted()
        template = self._template()
        kind = type(template)
        if not (callable(getattr(kind, "save", None)) and callable(getattr(kind, "load", None))):
            raise ParameterError(
                f"LocalForecasters.save stores each series' model with its own save(); "
                f"{kind.__name__} has no save/load. Use a Forecaster template, or refit."
            )
        ids = check_ids(self.estimators_, self.id_col)  # refused before anything is written
        members, files = [], {}
        with tempfile.TemporaryDirectory(prefix="forecastkit-") as tmp:
            for k, (uid, est) in enumerate(self.estimators_.items()):
                name = f"series/{k:06d}.keras"
                files[name] = os.path.join(tmp, f"{k:06d}.keras")
                est.save(files[name])
                members.append({"id": ids[k], "file": name, "seed": int(self.seeds_[uid])})
            params = self.get_params(deep=False)
            manifest = {
                "estimator": type(self).__name__,
                "params": {
                    k: v.item() if isinstance(v, np.generic) else v
                    for k, v in params.items()
                    if k != "estimator"
                },
                "template": {
                    "class": kind.__name__,
                    "params": encode_params(template.get_params()),
                },
                "series": members,
            }
            save_bundle(path, manifest, files)

    @classmethod
    def load(cls, path) -> LocalForecasters:
        """Load a bundle written by :meth:`save`; every member is checked before use.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        LocalForecasters
            Fitted: ``estimators_`` and ``seeds_`` as saved, in the saved order.

        Raises
        ------
        ModelFileError
            For a missing, truncated, tampered or foreign file.
        """
        import tempfile

        from forecastkit.estimators.classifier import SequenceClassifier
        from forecastkit.estimators.forecaster import Forecaster
        from forecastkit.estimators.sequence_regressor import SequenceRegressor
        from forecastkit.exceptions import ModelFileError, UnsafeModelFileError
        from forecastkit.persistence import estimator_from_params, load_bundle

        kinds = {k.__name__: k for k in (Forecaster, SequenceRegressor, SequenceClassifier)}
        with (
            tempfile.TemporaryDirectory(prefix="forecastkit-") as tmp,
            _one_version_warning(),
        ):
            manifest, paths = load_bundle(path, estimator=cls.__name__, folder=tmp)
            try:
                name = manifest["template"]["class"]
                if name not in kinds:
                    raise UnsafeModelFileError(
                        f"{os.fspath(path)!r}: member 'forecastkit-bundle.json' names template "
                        f"class {name!r:.100}, not one of {sorted(kinds)}. Nothing was imported "
                        "or run; do not use this file."
                    )
                kind = kinds[name]
                template = estimator_from_params(kind, manifest["template"]["params"])
                params = manifest["params"]
                if not all(
                    v is None or isinstance(v, bool | int | float | str) for v in params.values()
                ):
                    raise ValueError("LocalForecasters parameters must be plain values")
                out = cls(template, **params)
                estimators, seeds, used = {}, {}, set()
                for member in manifest["series"]:
                    uid = member["id"]
                    if not is_series_id(uid):
                        raise ValueError(f"series id {uid!r:.40} is not a string or an integer")
                    if uid in estimators or member["file"] + ".keras" in used:
                        raise ValueError(f"series id {uid!r:.40} or its file is listed twice")
                    used.add(member["file"] + ".keras")
                    keras_path = paths[member["file"]] + ".keras"  # Keras needs the suffix
                    os.replace(paths[member["file"]], keras_path)
                    estimators[uid] = kind.load(keras_path)
                    seeds[uid] = int(member["seed"])
            except ModelFileError:
                raise
            except (KeyError, TypeError, AttributeError, ValueError, OverflowError) as err:
                raise ModelFileError(
                    f"{path!r} has an incomplete or invalid LocalForecasters manifest "
                    f"({type(err).__name__}: {err}). Save the model again."
                ) from err
        out.estimators_, out.seeds_ = estimators, seeds
        return out

    def _stack(self, pieces) -> pd.DataFrame:
        name = type(self).__name__
        return to_long(
            list(self.estimators_),
            [p.rename(name) for p in pieces],
            id_col=self.id_col,
            time_col=self.time_col,
            name=name,
        )

    def _template(self):
        if self.estimator is None:
            from forecastkit.estimators.forecaster import Forecaster

            return Forecaster()
        for method in ("fit", "forecast", "predict"):
            if not callable(getattr(self.estimator, method, None)):
                raise ParameterError(
                    f"`estimator` must have fit(series), forecast(horizon) and predict(); "
                    f"{type(self.estimator).__name__} has no {method}(). Pass e.g. "
                    f"Forecaster(...) or NaiveForecaster(...)."
                )
        return self.estimator

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "estimators_")
        except Exception as err:
            raise NotFittedError(
                "This LocalForecasters is not fitted yet. Call fit(frame) first."
            ) from err


def series_seed(base: int, uid) -> int:
    """Seed of series ``uid`` from the base seed: stable across processes and frames.

    Examples
    --------
    >>> series_seed(0, "a") == series_seed(0, "a") != series_seed(0, "b")
    True
    """
    key = zlib.crc32(repr(uid).encode())
    return int(np.random.SeedSequence([int(base), key]).generate_state(1)[0] % (2**31 - 1))


def _fitter(backend, n_jobs):
    """Return ``fit_all(pairs)``: the fitted estimator of each ``(estimator, series)``.

    On Dask (``backend="dask"``) every pair is one task of the current client's cluster
    (``client.map``), whatever its size: joblib would run the fits in this process when the
    cluster has one worker thread. Otherwise joblib's ``Parallel`` with ``n_jobs`` under the
    configured backend, or a loop in this process for one job (nothing to send back).
    """
    from joblib import Parallel, delayed, effective_n_jobs

    if backend == "dask":
        from distributed import get_client

        client = get_client()

        def on_dask(pairs):
            if not pairs:
                return []
            futures = client.map(_fit_one, *zip(*pairs, strict=True), pure=False)
            return client.gather(futures)

        return on_dask
    if effective_n_jobs(n_jobs) == 1:
        return lambda pairs: [est.fit(series) for est, series in pairs]
    parallel = Parallel(n_jobs)
    return lambda pairs: parallel(delayed(_fit_one)(est, series) for est, series in pairs)


def _parallel_backend(backend):
    """Return joblib's ``parallel_config`` for ``backend`` (None: as configured), checked first."""
    from joblib import parallel_config

    if backend is None:
        return contextlib.nullcontext()
    if not isinstance(backend, str):
        raise ParameterError(
            f"`backend` must be a joblib backend name such as 'loky' or 'dask', or None; "
            f"got backend={backend!r}."
        )
    if backend == "dask":
        try:
            from distributed import get_client
        except ImportError as err:
            raise ParameterError(
                "backend='dask' needs Dask distributed: pip install 'forecastkit[cluster]'."
            ) from err
        try:
            get_client()
        except ValueError as err:
            raise ParameterError(
                "backend='dask' fits on the cluster of the current distributed.Client, and "
                "there is none: create one first, e.g. `client = Client('tcp://scheduler:"
                "8786')` or `Client(LocalCluster())` (from distributed import Client, "
                "LocalCluster)."
            ) from err
        return contextlib.nullcontext()  # the client's cluster, through client.map
    try:
        return parallel_config(backend=backend)
    except ValueError as err:
        raise ParameterError(f"`backend`={backend!r} is not a joblib backend: {err}") from err


def _fit_one(est, series: pd.Series):
    """Fit ``est`` on one series in a worker and send it back whole.

    joblib pickles the fitted estimator; a Forecaster pickles its Keras model and rebuilds
    its compiled functions on arrival (``__getstate__``/``__setstate__``), so every
    parameter (an optimizer or scaler instance, callbacks) comes back as it was.
    """
    return est.fit(series)


@contextlib.contextmanager
def _one_version_warning():
    """Pass on the first ModelVersionWarning only: a bundle and its members warn alike.

    Warnings are passed on after a successful load (an error is reported alone).
    """
    from forecastkit.exceptions import ModelVersionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelVersionWarning)
        yield
    seen = False
    for w in caught:
        if issubclass(w.category, ModelVersionWarning):
            if seen:
                continue
            seen = True
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

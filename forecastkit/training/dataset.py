"""Streamed training windows: batches cut from raw series on demand, never all at once.

``make_windows`` returns views, but Keras copies array inputs into one tensor, so fitting on
``(n_samples, window, n_features)`` windows of a long series needs ``window`` times the
memory of the series (10,000,000 steps x 256 steps x 4 bytes = 10 GB). A
:class:`WindowDataset` keeps only the series and the start position of each sample, and
builds each batch by indexing the ``make_windows`` views with that batch's starts, so
windows still come from the one windowing function and a batch costs
``batch_size x (window + horizon)`` rows.

With ``prepare`` (the Forecaster's transform and scaler, see
:func:`~forecastkit.data.scaling.transform_and_scale`) the arrays hold the series in
original units and each batch's rows are prepared as the batch is cut, so not even a scaled
copy of the series is made: the rows are the same as those of the prepared series,
because preparing works row by row (output row ``i`` depends on input rows ``i`` to
``i + lag`` only).

Invariants:

- sample ``k`` of array ``a`` is ``make_windows(arrays[a], window, horizon)`` at row
  ``starts[a][k]``; samples are numbered array by array (array 0 first);
- every sample appears exactly once per epoch; the last batch holds the remainder;
- with ``shuffle=True`` the order of epoch ``e`` is the permutation of
  ``tf.random.experimental.index_shuffle`` for the seed ``(seed, e)``: computed for blocks
  of 65,536 positions as batches need them, never stored whole, the same for the same seed.

Why a ``keras.utils.PyDataset`` rather than ``tf.data`` over batch indices: both were
measured as fast as Keras's in-memory arrays (the recurrent step dominates; a batch costs
0.02-0.05 ms to build), and the PyDataset is the simpler (``docs/benchmarks.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
from numpy.lib.stride_tricks import as_strided

from forecastkit.data.validation import check_horizon, check_window
from forecastkit.data.windows import make_sequence_windows, make_windows
from forecastkit.exceptions import DataError, ParameterError
from forecastkit.training.seeding import resolve_seed

__all__ = [
    "STREAM_BYTES",
    "ArrayBatches",
    "MemberBatches",
    "WindowDataset",
    "make_training_data",
    "member_order_seed",
    "windows_nbytes",
]

#: Training windows (inputs plus targets, float32) larger than this are streamed by
#: :func:`make_training_data`. Keras turns array inputs into one tensor, a copy of every
#: window; up to 256 MiB that copy is affordable, and small fits keep Keras's in-memory path
#: (and its results) as before (ensembles batch in-memory windows with :class:`ArrayBatches`,
#: which gathers each batch and copies nothing else). A fixed size (rather than a share of
#: the free memory) keeps the choice, and so the results for a given ``random_state``, the
#: same on every machine.
STREAM_BYTES = 256 * 2**20

#: Positions shuffled per TensorFlow call (and cached): 512 KB of int64.
_BLOCK = 65_536


def windows_nbytes(n_samples: int, window: int, n_features: int, itemsize: int = 4) -> int:
    """Bytes of ``n_samples`` materialised input windows ``(n_samples, window, n_features)``.

    Examples
    --------
    >>> windows_nbytes(10_000_000, 256, 1) / 1e9
    10.24
    """
    return int(n_samples) * int(window) * int(n_features) * int(itemsize)


def make_training_data(
    train,
    validation,
    *,
    window: int,
    horizon: int,
    targets: Sequence[int] | None = None,
    batch_size: int,
    seed: int | None = None,
    max_bytes: int | None = None,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    lag: int = 0,
    sequences: bool = False,
    members: int = 1,
) -> tuple[tuple, object]:
    """Return training and validation data for :func:`~forecastkit.training.fit.train`.

    In memory (``make_windows`` views, concatenated across series) when the training
    windows take at most ``max_bytes``; otherwise streamed by :class:`WindowDataset`
    (training shuffled from ``seed``, validation in order), so that no
    ``(n_samples, window, n_features)`` copy is ever made. With ``prepare``, each part is
    prepared whole in memory, or batch by batch when streamed (no prepared copy).

    Parameters
    ----------
    train, validation : ndarray or sequence of ndarray
        Scaled series ``(n_steps, n_features)`` (one, or one per series) whose windows are
        the training and the validation samples; a part too short for a window adds none.
        ``validation`` may be None or empty. With ``prepare``: the series before
        preparing (``lag`` more rows each).
    window, horizon : int
    targets : sequence of int, optional
    batch_size : int
        Global batch size (the streamed batches have it).
    seed : int, optional
        Shuffling seed of the streamed training batches, and of every member's batches
        with ``members > 1`` (None: drawn from the operating system).
    max_bytes : int, optional
        Threshold; None reads :data:`STREAM_BYTES` (at call time).
    prepare : callable, optional
        Maps rows ``(n, n_features)`` to float32 rows ``(n - lag, n_features)``, output row
        ``i`` from input rows ``i`` to ``i + lag`` only (transform and scale, row by row).
    lag : int, default=0
        Input rows ``prepare`` consumes before its first output row.
    sequences : bool, default=False
        Sequence-to-sequence samples (:func:`~forecastkit.data.windows.make_sequence_windows`):
        the target of each window is the next value at every one of its positions,
        ``(window, n_targets)``; ``horizon`` must be 1 (the samples start where those of
        horizon 1 start).

    Returns
    -------
    data : tuple
        ``(X, Y)`` arrays, or ``(WindowDataset, None)``: ``train(model, *data, ...)``.
    validation : (X_val, Y_val), WindowDataset or None
        None when there are no validation windows.

    Examples
    --------
    >>> import numpy as np
    >>> part = np.zeros((100, 1), "float32")
    >>> (X, Y), val = make_training_data(part, None, window=10, horizon=1, batch_size=8)
    >>> X.shape, val
    ((90, 10, 1), None)
    >>> (ds, _), _ = make_training_data(part, None, window=10, horizon=1, batch_size=8,
    ...                                 max_bytes=0)
    >>> type(ds).__name__, len(ds)
    ('WindowDataset', 12)
    """
    window, horizon = check_window(window), check_horizon(horizon)
    _check_sequences(sequences, horizon)
    train, validation = _as_parts(train), _as_parts(validation)
    if not train:
        raise DataError("`train` is empty; pass at least one series (n_steps, n_features).")
    lag = _check_lag(lag, prepare)
    n_features = train[0].shape[1]
    n_targets = n_features if targets is None else len(targets)
    n_samples = sum(max(len(a) - lag - window - horizon + 1, 0) for a in train)
    n_val = sum(max(len(a) - lag - window - horizon + 1, 0) for a in validation)
    size = windows_nbytes(n_samples, window, n_features) + windows_nbytes(
        n_samples, window if sequences else horizon, n_targets
    )
    members = _check_members(members)
    seed = resolve_seed(None) if seed is None else seed
    if size <= (STREAM_BYTES if max_bytes is None else max_bytes):
        if prepare is not None:
            train = [prepare(p) for p in train if len(p) > lag]
            validation = [prepare(p) for p in validation if len(p) > lag] if n_val else []
        data = _stacked_windows(train, window, horizon, targets, sequences)
        val = _stacked_windows(validation, window, horizon, targets, sequences) if n_val else None
        if members == 1:
            return data, val
        orders = [
            ArrayBatches(*data, batch_size=batch_size, seed=member_order_seed(seed, k))
            for k in range(members)
        ]
        if val is not None:
            val = MemberBatches(
                [ArrayBatches(*val, batch_size=batch_size, seed=0, shuffle=False)] * members
            )
        return (MemberBatches(orders), None), val
    options = {
        "window": window,
        "horizon": horizon,
        "targets": targets,
        "prepare": prepare,
        "lag": lag,
        "sequences": sequences,
    }
    orders = [
        WindowDataset(
            train,
            batch_size=batch_size,
            shuffle=True,
            seed=member_order_seed(seed, k),
            **options,
        )
        for k in range(members)
    ]
    val = None
    if n_val:
        val = WindowDataset(validation, batch_size=batch_size, shuffle=False, seed=0, **options)
    if members == 1:
        return (orders[0], None), val
    return (MemberBatches(orders), None), None if val is None else MemberBatches([val] * members)


def member_order_seed(seed: int, member: int) -> int:
    """Shuffling seed of ensemble member ``member`` of a fit seeded ``seed``.

    Member 0 shuffles with ``seed`` itself; the others with a seed drawn from ``(seed,
    member)`` by NumPy's ``SeedSequence`` (below 2**31 - 1, as the shuffles need), so the
    members of one fit, and of fits with different seeds, have unrelated orders.

    Examples
    --------
    >>> member_order_seed(5, 0), member_order_seed(5, 1) == member_order_seed(5, 1)
    (5, True)
    >>> member_order_seed(5, 1) != member_order_seed(6, 1) != member_order_seed(5, 2)
    True
    """
    if member == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(member)]).generate_state(1)[0] % (2**31 - 1))


def _check_members(members) -> int:
    if isinstance(members, bool) or not isinstance(members, (int, np.integer)) or members < 1:
        raise ParameterError(f"`members` must be an int >= 1; got members={members!r}.")
    return int(members)


def _as_parts(arrays) -> list[np.ndarray]:
    """``arrays`` as a list of 2-D arrays (None or an empty sequence: an empty list)."""
    if arrays is None:
        return []
    if isinstance(arrays, np.ndarray):
        return [arrays]
    return list(arrays)


def _check_lag(lag, prepare) -> int:
    """``lag`` as an int >= 0 (0 without ``prepare``)."""
    if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or lag < 0:
        raise ParameterError(f"`lag` must be an integer >= 0; got lag={lag!r}.")
    if lag and prepare is None:
        raise ParameterError(
            f"`lag`={lag} is the rows `prepare` consumes; pass `prepare` too, or lag=0."
        )
    return int(lag)


def _check_sequences(sequences, horizon: int) -> bool:
    """``sequences`` as a bool; sequence targets are the next step only (``horizon=1``)."""
    if sequences and horizon != 1:
        raise ParameterError(
            f"Sequence-to-sequence samples predict the next step at every position, so "
            f"horizon must be 1; got horizon={horizon}. Pass horizon=1."
        )
    return bool(sequences)


def _windows(values, window, horizon, targets, sequences):
    """``make_windows`` or, for sequence targets, ``make_sequence_windows``."""
    if sequences:
        return make_sequence_windows(values, window, targets=targets)
    return make_windows(values, window, horizon, targets=targets)


def _stacked_windows(
    parts, window, horizon, targets, sequences=False
) -> tuple[np.ndarray, np.ndarray]:
    """In-memory windows of every part: views for one part, one concatenation for several."""
    pairs = [_windows(p, window, horizon, targets, sequences) for p in parts]
    if len(pairs) == 1:
        return pairs[0]
    return np.concatenate([X for X, _ in pairs]), np.concatenate([Y for _, Y in pairs])


class WindowDataset(keras.utils.PyDataset):
    """Batches ``(X, Y)`` of windows cut on demand from one or more raw series.

    Parameters
    ----------
    arrays : ndarray or sequence of ndarray
        One series ``(n_steps, n_features)`` or several with the same ``n_features`` (of
        any lengths). float32 arrays are used as they are (not copied); others are
        converted to float32 once (kept as they are with ``prepare``).
    window : int
        Input steps per sample.
    horizon : int
        Target steps per sample (``out_steps`` of the network).
    starts : sequence, optional
        Per array, the window start positions to train on: an int array, a ``range`` or
        None (every window of that array, ``range(n_steps - window - horizon + 1)``).
        None means None for every array. A ``range`` costs no memory; an int array costs
        8 bytes per sample.
    targets : sequence of int, optional
        Target columns (None: all), as in :func:`~forecastkit.data.windows.make_windows`.
    batch_size : int, default=32
        Samples per batch; the last batch holds the remainder.
    shuffle : bool, default=True
        Visit the samples in a new pseudorandom order every epoch (across arrays).
    seed : int or None, default=None
        Seed of the shuffling; the order of epoch ``e`` depends on ``(seed, e)`` only.
        None draws one from the operating system.
    prepare : callable, optional
        Maps rows ``(n, n_features)`` of the arrays to float32 rows ``(n - lag,
        n_features)``, output row ``i`` from input rows ``i`` to ``i + lag`` only (e.g.
        transform and scale). Batches are then the windows of the prepared arrays,
        prepared a batch at a time: window starts count prepared rows.
    lag : int, default=0
        Input rows ``prepare`` consumes before its first output row (1 after differencing).
    sequences : bool, default=False
        Targets at every position (``Y`` of shape ``(b, window, n_targets)``, see
        :func:`~forecastkit.data.windows.make_sequence_windows`); needs ``horizon=1``.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` of
        :class:`keras.utils.PyDataset`.

    Attributes
    ----------
    n_samples : int
        Samples per epoch (all arrays).
    epoch : int
        The epoch whose order batches follow; :meth:`on_epoch_end` advances it.

    Examples
    --------
    >>> import numpy as np
    >>> series = np.arange(20, dtype="float32").reshape(10, 2)
    >>> ds = WindowDataset(series, window=3, horizon=1, targets=[0], batch_size=4, seed=0)
    >>> len(ds), ds.n_samples
    (2, 7)
    >>> X, Y = ds[1]
    >>> X.shape, Y.shape
    ((3, 3, 2), (3, 1, 1))
    """

    def __init__(
        self,
        arrays,
        *,
        window: int,
        horizon: int,
        starts: Sequence | None = None,
        targets: Sequence[int] | None = None,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        prepare: Callable[[np.ndarray], np.ndarray] | None = None,
        lag: int = 0,
        sequences: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.lag = _check_lag(lag, prepare)
        self._prepare = prepare
        self.window = check_window(window)
        self.horizon = check_horizon(horizon)
        self.sequences = _check_sequences(sequences, self.horizon)
        self.batch_size = check_window(batch_size, name="batch_size")
        self.shuffle = bool(shuffle)
        self.seed = resolve_seed(None) if seed is None else int(seed)
        self.epoch = 0
        self._cache: tuple[int, int, np.ndarray] | None = None
        if isinstance(arrays, np.ndarray):
            arrays = [arrays]
        dtype = None if prepare is not None else np.float32
        arrays = [np.asarray(a, dtype=dtype) for a in arrays]
        if not arrays:
            raise DataError("`arrays` is empty; pass at least one series (n_steps, n_features).")
        if starts is None:
            starts = [None] * len(arrays)
        if len(starts) != len(arrays):
            raise ParameterError(
                f"`starts` must hold one entry per array; got {len(starts)} for "
                f"{len(arrays)} arrays. Pass None to train on every window."
            )
        self._X, self._Y, self._starts = [], [], []
        self._targets = None if targets is None else [int(t) for t in targets]
        for i, (values, s) in enumerate(zip(arrays, starts, strict=True)):
            if prepare is None:
                X, Y = _windows(values, self.window, self.horizon, targets, self.sequences)
            else:  # whole raw blocks (window + horizon + lag rows), prepared per batch
                X, Y = make_windows(values, self.window + self.horizon + self.lag, 0)
            if X.shape[2] != (self._X[0].shape[2] if self._X else X.shape[2]):
                raise DataError(
                    f"Every array must have the same number of features; array {i} has "
                    f"{X.shape[2]}, array 0 has {self._X[0].shape[2]}."
                )
            self._X.append(X)
            self._Y.append(Y)
            self._starts.append(_check_starts(s, len(X), i, self.window, self.horizon))
        counts = [len(s) for s in self._starts]
        self._offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        self.n_samples = int(self._offsets[-1])
        if self.n_samples == 0:
            raise DataError(
                f"No training samples: every array is shorter than window={self.window} + "
                f"horizon={self.horizon} steps (or `starts` is empty). Use a shorter window "
                "or longer series."
            )

    # ---------------------------------------------------------------- PyDataset
    def __len__(self) -> int:
        """Return the number of batches per epoch (the last may be partial)."""
        return math.ceil(self.n_samples / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index``: X ``(b, window, n_features)``, Y ``(b, horizon, n_targets)``."""
        n_batches = len(self)
        if not -n_batches <= index < n_batches:
            raise IndexError(f"Batch index {index} out of range for {n_batches} batches.")
        index %= n_batches
        low = index * self.batch_size
        ids = self.sample_ids(low, min(low + self.batch_size, self.n_samples))
        return self.take(ids)

    def on_epoch_end(self) -> None:
        """Advance to the next epoch's order."""
        self.epoch += 1

    def release(self) -> None:
        """Drop the references to the series; batches can no longer be taken after this.

        Keras wraps a PyDataset in a ``tf.data`` generator pipeline that TensorFlow keeps
        alive after ``fit`` returns, even once the model is deleted (measured with Keras
        3.15 / TensorFlow 2.21): without this call the series would stay in memory.

        Examples
        --------
        >>> ds = WindowDataset(np.zeros((10, 1), "float32"), window=3, horizon=1)
        >>> ds.release()
        >>> len(ds), ds.n_samples
        (1, 7)
        """
        self._X, self._Y, self._cache = [], [], None

    # ------------------------------------------------------------------- helpers
    def sample_ids(self, low: int, high: int) -> np.ndarray:
        """Return the sample numbers at positions ``low:high`` of this epoch's order (int64)."""
        if not self.shuffle:
            return np.arange(low, high, dtype=np.int64)
        first, last = low // _BLOCK, (high - 1) // _BLOCK
        parts = [
            self._shuffled_block(b)[max(low - b * _BLOCK, 0) : high - b * _BLOCK]
            for b in range(first, last + 1)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _shuffled_block(self, block: int) -> np.ndarray:
        """Return the shuffled sample numbers of positions in ``block`` (one TensorFlow call)."""
        cached = self._cache
        if cached is not None and cached[:2] == (self.epoch, block):
            return cached[2]
        import tensorflow as tf

        positions = np.arange(
            block * _BLOCK, min((block + 1) * _BLOCK, self.n_samples), dtype=np.int64
        )
        ids = positions
        if self.n_samples > 1:
            seed = np.array([self.seed, self.epoch], dtype=np.int64)
            ids = np.asarray(
                tf.random.experimental.index_shuffle(
                    positions, seed=seed, max_index=self.n_samples - 1
                ),
                dtype=np.int64,
            )
        self._cache = (self.epoch, block, ids)
        return ids

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the array number and the window start of each sample number in ``ids``."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self._starts) == 1:
            s = self._starts[0]
            starts = s.start + ids * s.step if isinstance(s, range) else s[ids]
            return np.zeros(len(ids), dtype=np.int64), starts
        which = np.searchsorted(self._offsets, ids, side="right") - 1
        local = ids - self._offsets[which]
        starts = np.empty_like(local)
        for a in np.unique(which):
            rows = which == a
            s = self._starts[a]
            k = local[rows]
            starts[rows] = s.start + k * s.step if isinstance(s, range) else s[k]
        return which, starts

    def take(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the windows of sample numbers ``ids`` as new float32 arrays (X, Y)."""
        which, starts = self.locate(ids)
        if self._prepare is not None:
            return self._take_prepared(which, starts)
        if len(self._X) == 1:
            return self._X[0][starts], self._Y[0][starts]
        n_features, n_targets = self._X[0].shape[2], self._Y[0].shape[2]
        X = np.empty((len(ids), self.window, n_features), dtype=np.float32)
        Y = np.empty((len(ids), self._Y[0].shape[1], n_targets), dtype=np.float32)
        for a in np.unique(which):
            rows = which == a
            X[rows] = self._X[a][starts[rows]]
            Y[rows] = self._Y[a][starts[rows]]
        return X, Y

    def _take_prepared(self, which, starts) -> tuple[np.ndarray, np.ndarray]:
        """Raw blocks of the samples, prepared in one call and split into (X, Y).

        The blocks are prepared end to end as one array; the ``lag`` rows of each block
        that would straddle two blocks are dropped, the rest are exactly the prepared rows.
        """
        if len(self._X) == 1:
            blocks = self._X[0][starts]
        else:
            dtype = np.result_type(*(b.dtype for b in self._X))
            blocks = np.empty((len(starts), *self._X[0].shape[1:]), dtype=dtype)
            for a in np.unique(which):
                rows = which == a
                blocks[rows] = self._X[a][starts[rows]]
        n, length, n_features = blocks.shape
        out = np.ascontiguousarray(self._prepare(blocks.reshape(-1, n_features)))
        width = length - self.lag  # window + horizon prepared rows per sample
        # Sample k is rows k * length ... k * length + width - 1 of `out` (the last sample
        # ends at row n * length - lag - 1, the last row): a strided view, no index array.
        row, item = out.strides
        out = as_strided(out, (n, width, n_features), (length * row, row, item), writeable=False)
        Y = out[:, 1:] if self.sequences else out[:, self.window :]
        if self._targets is not None:
            Y = Y[:, :, self._targets]
        return np.ascontiguousarray(out[:, : self.window]), np.ascontiguousarray(Y)


class ArrayBatches(keras.utils.PyDataset):
    """Shuffled batches of in-memory samples whose order depends on ``(seed, epoch)`` only.

    Keras shuffles array inputs with TensorFlow's global random state, which a restarted
    process cannot bring back to where an interrupted fit was; with this dataset (used by
    :func:`~forecastkit.training.fit.train` when ``resume_dir`` is given, and for each
    member of an ensemble by :func:`make_training_data`) epoch ``e``'s
    order is ``numpy.random.default_rng([seed, e]).permutation(n_samples)``, so a resumed
    fit sees the same batches as an uninterrupted one. The arrays are not copied.

    Parameters
    ----------
    X, Y : ndarray
        Inputs and targets, one sample per row.
    batch_size : int
    seed : int
    shuffle : bool, default=True

    Examples
    --------
    >>> X, Y = np.arange(5.0).reshape(5, 1), np.zeros((5, 1))
    >>> ds = ArrayBatches(X, Y, batch_size=2, seed=0)
    >>> len(ds), ds[2][0].shape
    (3, (1, 1))
    >>> first = ds[0][0].ravel().tolist()
    >>> ds.on_epoch_end()
    >>> ds.epoch
    1
    """

    def __init__(self, X, Y, *, batch_size: int, seed: int, shuffle: bool = True, **kwargs):
        super().__init__(**kwargs)
        if len(X) != len(Y):
            raise DataError(f"X and Y must hold as many samples; got {len(X)} and {len(Y)}.")
        if len(X) == 0:
            raise DataError("No training samples; pass at least one.")
        self.X, self.Y = X, Y
        self.batch_size = check_window(batch_size, name="batch_size")
        self.seed = int(seed)
        self.shuffle = bool(shuffle)
        self.epoch = 0
        self._order: tuple[tuple[int, int], np.ndarray] | None = None

    def __len__(self) -> int:
        """Return the number of batches per epoch (the last may be partial)."""
        return math.ceil(len(self.X) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` of this epoch's order."""
        n_batches = len(self)
        if not -n_batches <= index < n_batches:
            raise IndexError(f"Batch index {index} out of range for {n_batches} batches.")
        low = (index % n_batches) * self.batch_size
        return self.take(self.order()[low : low + self.batch_size])

    @property
    def n_samples(self) -> int:
        """Samples per epoch."""
        return len(self.X)

    def release(self) -> None:
        """Drop the references to the arrays (see :meth:`WindowDataset.release`).

        Examples
        --------
        >>> ds = ArrayBatches(np.zeros((3, 1)), np.zeros((3, 1)), batch_size=2, seed=0)
        >>> ds.release()
        >>> len(ds.X)
        0
        """
        self.X, self.Y = self.X[:0], self.Y[:0]
        self._order = None

    def take(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the samples ``ids`` (in sample order, not shuffled) as ``(X, Y)``."""
        return self.X[ids], self.Y[ids]

    def order(self) -> np.ndarray:
        """Return the sample order of the current epoch."""
        if self._order is None or self._order[0] != (self.seed, self.epoch):
            n = len(self.X)
            ids = (
                np.random.default_rng([self.seed, self.epoch]).permutation(n)
                if self.shuffle
                else np.arange(n)
            )
            self._order = ((self.seed, self.epoch), ids)
        return self._order[1]

    def on_epoch_end(self) -> None:
        """Advance to the next epoch's order."""
        self.epoch += 1


class MemberBatches(keras.utils.PyDataset):
    """Batches for an ensemble's training model: each member's batch from its own dataset.

    Batch ``i`` is ``(X, Y)`` with ``X`` the tuple of batch ``i`` of every member's dataset
    (their inputs) and ``Y`` their targets side by side on the last axis, ``(b, ...,
    n_members * n_targets)``: what :func:`~forecastkit.models.builders.training_model`
    takes. Datasets that shuffle with their own seeds give every member its own order of
    the same samples, so the members of an ensemble differ by more than their initial
    weights (a single network's forecast often depends on the order of its batches more
    than on its initial weights, docs/benchmarks.md); the same unshuffled dataset given for
    every member gives every member the same batches (validation).

    Parameters
    ----------
    datasets : sequence of keras.utils.PyDataset
        One per member, all with the same number of batches and the same samples (e.g.
        :class:`ArrayBatches` or :class:`WindowDataset` with the seeds of
        :func:`member_order_seed`); one object may stand for several members.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` of
        :class:`keras.utils.PyDataset`.

    Attributes
    ----------
    epoch : int
        The epoch every member's order follows (setting it moves every member).
    seed : int
        Member 0's seed; setting it reseeds member ``k`` with ``member_order_seed(seed, k)``.

    Examples
    --------
    >>> X, Y = np.arange(10.0).reshape(5, 2, 1), np.arange(5.0).reshape(5, 1, 1)
    >>> ds = MemberBatches([ArrayBatches(X, Y, batch_size=2, seed=k) for k in range(3)])
    >>> inputs, targets = ds[0]
    >>> len(ds), len(inputs), inputs[0].shape, targets.shape
    (3, 3, (2, 2, 1), (2, 1, 3))
    """

    def __init__(self, datasets: Sequence[keras.utils.PyDataset], **kwargs):
        super().__init__(**kwargs)
        self.datasets = list(datasets)
        if not self.datasets or len({len(d) for d in self.datasets}) != 1:
            raise DataError(
                "`datasets` must hold one dataset per member, all with the same number of "
                f"batches; got lengths {[len(d) for d in self.datasets]}."
            )
        unique = {id(d): d for d in self.datasets}
        self._unique = list(unique.values())

    def __len__(self) -> int:
        """Return the number of batches per epoch."""
        return len(self.datasets[0])

    def __getitem__(self, index: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """Batch ``index``: every member's inputs, and their targets side by side."""
        batches = {id(d): d[index] for d in self._unique}
        inputs = tuple(batches[id(d)][0] for d in self.datasets)
        targets = np.concatenate([batches[id(d)][1] for d in self.datasets], axis=-1)
        return inputs, targets

    def on_epoch_end(self) -> None:
        """Advance every member to the next epoch's order."""
        for d in self._unique:
            d.on_epoch_end()

    def release(self) -> None:
        """Release every member's dataset (TensorFlow keeps datasets alive after ``fit``)."""
        for d in self._unique:
            d.release()

    @property
    def epoch(self) -> int:
        """The epoch whose orders the members follow."""
        return int(self.datasets[0].epoch)

    @epoch.setter
    def epoch(self, value: int) -> None:
        for d in self._unique:
            d.epoch = int(value)

    @property
    def seed(self) -> int:
        """Member 0's shuffling seed (member ``k``: :func:`member_order_seed` of it)."""
        return int(self.datasets[0].seed)

    @seed.setter
    def seed(self, value: int) -> None:
        for k, d in enumerate(self.datasets):
            d.seed = member_order_seed(int(value), k)

    @property
    def n_samples(self) -> int:
        """Samples per epoch (of each member)."""
        return int(self.datasets[0].n_samples)

    def take(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the samples ``ids`` (in sample order) of member 0's dataset as ``(X, Y)``."""
        return self.datasets[0].take(ids)


def _check_starts(starts, n_windows: int, i: int, window: int, horizon: int) -> range | np.ndarray:
    """Return the starts of array ``i`` as a ``range`` or an int64 array, checked."""
    if starts is None:
        return range(n_windows)
    if isinstance(starts, range):
        ends = (starts[0], starts[-1]) if len(starts) else (0, 0)
        if min(ends) < 0 or (len(starts) and max(ends) >= n_windows):
            raise _bad_starts(i, n_windows, window, horizon)
        return starts
    out = np.asarray(starts)
    if out.ndim != 1 or not (out.size == 0 or np.issubdtype(out.dtype, np.integer)):
        raise ParameterError(
            f"`starts[{i}]` must be a 1-D integer array, a range or None; got shape "
            f"{out.shape} and dtype {out.dtype}."
        )
    out = out.astype(np.int64, copy=False)
    if out.size and (out.min() < 0 or out.max() >= n_windows):
        raise _bad_starts(i, n_windows, window, horizon)
    return out


def _bad_starts(i: int, n_windows: int, window: int, horizon: int) -> DataError:
    return DataError(
        f"`starts[{i}]` must lie in range({n_windows}): array {i} has {n_windows} windows of "
        f"window={window} + horizon={horizon} steps. Drop starts too close to its end."
    )

"""Sliding windows: the only code in forecastkit that slices time into samples.

Training and prediction share these functions, so a model always sees inputs cut
the same way. Windows are read-only views into the values (no copy per window): a
10,000,000-step series with ``window=256`` costs no extra memory.

Two layouts:

- :func:`make_windows` / :func:`last_window`: overlapping sliding windows (one sample per
  step), for window-to-horizon regressors;
- :func:`stream_batches` / :func:`make_stream_batches`: the stateful batch layout, where the
  series is cut into ``batch_size`` contiguous streams and row ``j`` of batch ``k + 1``
  continues row ``j`` of batch ``k`` (truncated back-propagation through time).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from forecastkit.data.validation import check_horizon, check_window
from forecastkit.exceptions import DataError, ParameterError

__all__ = [
    "default_window",
    "last_window",
    "make_sequence_windows",
    "make_stream_batches",
    "make_windows",
    "stream_batches",
]


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


def make_windows(
    values: np.ndarray, window: int, horizon: int, *, targets: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``values`` into input windows and the target steps that follow each one.

    Sample ``i`` is ``X[i] = values[i : i + window, :]`` and
    ``Y[i] = values[i + window : i + window + horizon, targets]``.

    Parameters
    ----------
    values : numpy.ndarray of shape (n_steps, n_features)
    window : int
        Number of input steps per sample (> 0).
    horizon : int
        Number of target steps per sample (>= 0; 0 gives inputs only).
    targets : sequence of int, optional
        Columns of the targets; None means all columns.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, window, n_features)
        A read-only view of ``values``.
    Y : numpy.ndarray of shape (n_samples, horizon, n_targets)
        A read-only view of ``values`` when ``targets`` is None or a contiguous ascending
        run of columns; otherwise a view of one copy of the target columns.

    ``n_samples = n_steps - window - horizon + 1``, or 0 when the series is too short (no
    error). Copy a window (``X[i].copy()``) before writing to it.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.arange(6.0).reshape(6, 1)
    >>> X, Y = make_windows(values, window=3, horizon=1)
    >>> X.shape, Y.shape
    ((3, 3, 1), (3, 1, 1))
    >>> X[0, :, 0], Y[0, :, 0]
    (array([0., 1., 2.]), array([3.]))
    """
    values = _check_values(values)
    window = check_window(window)
    horizon = check_horizon(horizon, allow_zero=True)
    n_steps, n_features = values.shape
    columns = _target_columns(values, targets)
    n_targets = columns.shape[1]
    n_samples = max(n_steps - window - horizon + 1, 0)
    if n_samples == 0:
        return _empty((0, window, n_features), values), _empty((0, horizon, n_targets), values)
    # sliding_window_view puts the window axis last: (n_windows, n_features, window).
    X = sliding_window_view(values, window, axis=0).swapaxes(1, 2)[:n_samples]
    Y = sliding_window_view(columns[window:], horizon, axis=0).swapaxes(1, 2)[:n_samples]
    return X, Y


def make_sequence_windows(
    values: np.ndarray, window: int, *, targets: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``values`` into input windows and the next value at every position of each.

    The samples of a sequence-to-sequence network (``strategy="seq2seq"``): sample ``i`` is
    ``X[i] = values[i : i + window, :]`` and ``Y[i] = values[i + 1 : i + window + 1,
    targets]``, so the target at position ``t`` is the step after input row ``t`` (teacher
    forcing at every position). The samples start where those of ``make_windows(values,
    window, 1)`` start, and ``Y[i, -1]`` is that function's ``Y[i, 0]``.

    Parameters
    ----------
    values : numpy.ndarray of shape (n_steps, n_features)
    window : int
        Number of input steps per sample (> 0).
    targets : sequence of int, optional
        Columns of the targets; None means all columns.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, window, n_features)
        A read-only view of ``values``.
    Y : numpy.ndarray of shape (n_samples, window, n_targets)
        A read-only view of ``values`` (or of one copy of non-contiguous target columns).

    ``n_samples = n_steps - window``, or 0 when the series is too short (no error).

    Examples
    --------
    >>> import numpy as np
    >>> X, Y = make_sequence_windows(np.arange(5.0).reshape(5, 1), window=3)
    >>> X.shape, Y.shape
    ((2, 3, 1), (2, 3, 1))
    >>> X[1, :, 0], Y[1, :, 0]
    (array([1., 2., 3.]), array([2., 3., 4.]))
    """
    values = _check_values(values)
    window = check_window(window)
    columns = _target_columns(values, targets)
    n_samples = max(values.shape[0] - window, 0)
    if n_samples == 0:
        return (
            _empty((0, window, values.shape[1]), values),
            _empty((0, window, columns.shape[1]), values),
        )
    X = sliding_window_view(values, window, axis=0).swapaxes(1, 2)[:n_samples]
    Y = sliding_window_view(columns[1:], window, axis=0).swapaxes(1, 2)[:n_samples]
    return X, Y


def last_window(values: np.ndarray, window: int) -> np.ndarray:
    """Return the last ``window`` steps of ``values`` as one sample, shape (1, window, n_features).

    Equal to ``make_windows(values, window, 0)[0][-1:]``; a read-only view.

    Raises
    ------
    DataError
        If ``values`` has fewer than ``window`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> last_window(np.arange(5.0).reshape(5, 1), 2)[0, :, 0]
    array([3., 4.])
    """
    values = _check_values(values)
    window = check_window(window)
    if values.shape[0] < window:
        raise DataError(
            f"`values` has {values.shape[0]} time steps, fewer than window={window}. Pass at "
            f"least {window} steps of history, or use a smaller window."
        )
    return make_windows(values[values.shape[0] - window :], window, 0)[0]


def make_stream_batches(values: np.ndarray, batch_size: int, time_steps: int) -> np.ndarray:
    """Lay ``values`` out as stateful batches: ``batch_size`` streams cut into chunks.

    With ``n_batches = n_steps // (batch_size * time_steps)`` and ``L = n_batches *
    time_steps`` (the stream length), stream ``j`` is the contiguous stretch
    ``values[j * L : (j + 1) * L]`` and batch ``k``, row ``j`` is its ``k``-th chunk::

        out[k, j] = values[j * L + k * time_steps : j * L + (k + 1) * time_steps]

    so row ``j`` of batch ``k + 1`` starts exactly where row ``j`` of batch ``k`` ended, and
    a stateful network that carries its state from one batch to the next always continues
    the stretch of the series it was reading. Every one of the first ``batch_size * L``
    steps appears exactly once.

    **Dropped tail.** The last ``n_steps - batch_size * L`` steps (fewer than ``batch_size *
    time_steps``) are not used: a stateful network has a fixed batch shape, so every batch
    needs ``batch_size`` full rows of ``time_steps``, and the streams must have equal
    length to stay in step. Cutting the tail (rather than gaps between streams) keeps
    every stream contiguous.

    Parameters
    ----------
    values : numpy.ndarray of shape (n_steps, n_features)
    batch_size : int
        Number of streams (rows per batch), > 0.
    time_steps : int
        Steps per chunk (the truncation length of back-propagation through time), > 0.

    Returns
    -------
    numpy.ndarray of shape (n_batches, batch_size, time_steps, n_features)
        A read-only view of ``values`` (no copy). ``out.reshape(-1, time_steps,
        n_features)`` (a copy) gives the samples in the order a stateful ``model.fit`` with
        ``shuffle=False`` must see them.

    Raises
    ------
    DataError
        If ``n_steps < batch_size * time_steps`` (not even one batch).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.arange(13.0).reshape(13, 1)      # 13 steps: 12 used, the last dropped
    >>> batches = make_stream_batches(values, batch_size=2, time_steps=3)
    >>> batches.shape
    (2, 2, 3, 1)
    >>> batches[0, :, :, 0]                          # batch 0: streams start at 0 and 6
    array([[0., 1., 2.],
           [6., 7., 8.]])
    >>> batches[1, :, :, 0]                          # batch 1: each row continues its stream
    array([[ 3.,  4.,  5.],
           [ 9., 10., 11.]])
    """
    values = _check_values(values)
    batch_size = check_window(batch_size, name="batch_size")
    time_steps = check_window(time_steps, name="time_steps")
    n_steps, n_features = values.shape
    n_batches = n_steps // (batch_size * time_steps)
    if n_batches == 0:
        raise DataError(
            f"The series has {n_steps} time steps, fewer than the batch_size={batch_size} x "
            f"time_steps={time_steps} = {batch_size * time_steps} that one stateful batch "
            f"needs ({batch_size} streams of at least {time_steps} steps). Use a smaller "
            "batch_size or time_steps, or a longer series."
        )
    stream_length = n_batches * time_steps
    step, feature = values.strides
    return as_strided(
        values,
        shape=(n_batches, batch_size, time_steps, n_features),
        strides=(time_steps * step, stream_length * step, step, feature),
        writeable=False,
    )


def stream_batches(n_steps: int, batch_size: int, time_steps: int) -> np.ndarray:
    """Positions of the stateful batch layout, shape (n_batches, batch_size, time_steps).

    ``values[stream_batches(len(values), b, t)]`` equals ``make_stream_batches(values, b,
    t)`` (see there for the layout and the dropped tail): entry ``[k, j, s]`` is the
    position of step ``s`` of row ``j`` in batch ``k``.

    Raises
    ------
    DataError
        If ``n_steps < batch_size * time_steps``.

    Examples
    --------
    >>> stream_batches(13, batch_size=2, time_steps=3)[:, 1]   # row 1 of each batch
    array([[ 6,  7,  8],
           [ 9, 10, 11]])
    """
    n_steps = check_horizon(n_steps, name="n_steps", allow_zero=True)
    positions = np.arange(n_steps, dtype=np.intp)[:, np.newaxis]
    return make_stream_batches(positions, batch_size, time_steps)[..., 0]


def _check_values(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as a 2-D array (no copy), or raise DataError."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise DataError(
            f"`values` must be 2-D with shape (n_steps, n_features); got shape {values.shape}. "
            f"Add a feature axis to a 1-D series, e.g. `values[:, np.newaxis]`."
        )
    return values


def _target_columns(values: np.ndarray, targets: Sequence[int] | None) -> np.ndarray:
    """Target columns of ``values``: a view for all or a contiguous run, else one copy."""
    if targets is None:
        return values
    cols = [int(t) for t in targets]
    n_features = values.shape[1]
    if not cols or any(t < 0 or t >= n_features for t in cols):
        raise ParameterError(
            f"`targets` must be column positions in range(n_features={n_features}); got "
            f"targets={targets!r}. Pass e.g. targets=[0]."
        )
    if cols == list(range(cols[0], cols[0] + len(cols))):
        return values[:, cols[0] : cols[0] + len(cols)]
    return values[:, cols]


def _empty(shape: tuple[int, ...], values: np.ndarray) -> np.ndarray:
    """Read-only empty array of ``values``' dtype (the 0-sample case)."""
    out = np.empty(shape, dtype=values.dtype)
    out.flags.writeable = False
    return out

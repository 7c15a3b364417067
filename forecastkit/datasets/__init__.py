"""Small data sets for examples, tests and tutorials; nothing is ever downloaded.

- :func:`load_airline`: the classic monthly airline passengers series (Box & Jenkins),
  shipped inside the package.
- :func:`make_sine`, :func:`make_sin_cos`: generated sine (and cosine) curves, as in the
  Keras and TensorFlow LSTM tutorials.
- :func:`load_digit_rows`: scikit-learn's bundled 8x8 digits, each image read row by row as a
  sequence (8 steps of 8 features).
- :func:`load_mnist_rows`: MNIST from a local ``mnist.npz`` the user already has (Keras layout),
  each image read row by row as 28 steps of 28 features.
"""

from __future__ import annotations

import os
import zipfile
from importlib import resources
from numbers import Integral, Real

import numpy as np
import pandas as pd

from forecastkit.exceptions import DataError, ParameterError

__all__ = ["load_airline", "load_digit_rows", "load_mnist_rows", "make_sin_cos", "make_sine"]

_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_airline() -> pd.Series:
    """Load the monthly airline passengers series (Box & Jenkins, 1949-01 to 1960-12).

    Monthly totals of international airline passengers, in thousands: 144 values with a
    trend and a yearly season that grows with the level. Read from the CSV file shipped with
    the package; no network access.

    Returns
    -------
    pd.Series
        float64 values named ``"passengers"``, indexed by a ``DatetimeIndex`` named ``"month"``
        with frequency ``"MS"`` (month start), from 1949-01-01 to 1960-12-01.

    Examples
    --------
    >>> from forecastkit.datasets import load_airline
    >>> y = load_airline()
    >>> len(y), y.index.freqstr, float(y.iloc[0])
    (144, 'MS', 112.0)
    """
    source = resources.files(__name__).joinpath("airline.csv")
    with source.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, parse_dates=["ds"])
    index = pd.DatetimeIndex(frame["ds"], name="month", freq="MS")
    return pd.Series(frame["y"].to_numpy(dtype="float64"), index=index, name="passengers")


def make_sine(n: int = 2000, stop: float = 100.0) -> pd.Series:
    """Make the sine curve of the Keras LSTM tutorial: ``sin(t)`` for ``t = linspace(0, stop, n)``.

    Parameters
    ----------
    n : int, default 2000
        Number of points (``n_steps``); at least 1.
    stop : float, default 100.0
        Last value of ``t`` (the first is 0); finite.

    Returns
    -------
    pd.Series
        float64 ``sin(t)``, named ``"sin"``, on a ``RangeIndex`` ``0 .. n-1``.

    Raises
    ------
    ParameterError
        If ``n`` is not a positive integer or ``stop`` is not a finite number.

    Examples
    --------
    >>> from forecastkit.datasets import make_sine
    >>> y = make_sine(n=5, stop=2.0)
    >>> y.round(3).tolist()
    [0.0, 0.479, 0.841, 0.997, 0.909]
    """
    t = _make_t(n, stop)
    return pd.Series(np.sin(t), index=pd.RangeIndex(len(t)), name="sin")


def make_sin_cos(n: int = 2000, stop: float = 100.0) -> tuple[pd.Series, pd.Series]:
    """Make the sin -> cos pair of the sequence-regression tutorials.

    The input is ``sin(t)`` and the target ``cos(t)``, for ``t = linspace(0, stop, n)``.

    Parameters
    ----------
    n : int, default 2000
        Number of points (``n_steps``); at least 1.
    stop : float, default 100.0
        Last value of ``t`` (the first is 0); finite.

    Returns
    -------
    sin : pd.Series
        float64 ``sin(t)`` named ``"sin"``, on a ``RangeIndex`` ``0 .. n-1``.
    cos : pd.Series
        float64 ``cos(t)`` named ``"cos"``, on the same index.

    Raises
    ------
    ParameterError
        If ``n`` is not a positive integer or ``stop`` is not a finite number.

    Examples
    --------
    >>> from forecastkit.datasets import make_sin_cos
    >>> x, y = make_sin_cos(n=3, stop=1.0)
    >>> x.name, y.name, y.round(3).tolist()
    ('sin', 'cos', [1.0, 0.878, 0.54])
    """
    t = _make_t(n, stop)
    index = pd.RangeIndex(len(t))
    return pd.Series(np.sin(t), index=index, name="sin"), pd.Series(
        np.cos(t), index=index, name="cos"
    )


def load_digit_rows() -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 8x8 digits, each image as a sequence of 8 rows of 8 pixels.

    A small stand-in for "MNIST read row by row" that needs no download: the 1,797 images
    bundled with scikit-learn (:func:`sklearn.datasets.load_digits`), scaled from 0..16 to
    0..1.

    Returns
    -------
    X : np.ndarray
        float32, shape ``(1797, 8, 8)`` = ``(n_samples, n_steps, n_features)``: image ``i``,
        row ``r`` is time step ``r``; values in [0, 1].
    y : np.ndarray
        int64 class labels 0..9, shape ``(1797,)``.

    Examples
    --------
    >>> from forecastkit.datasets import load_digit_rows
    >>> X, y = load_digit_rows()
    >>> X.shape, X.dtype.name, y.shape
    ((1797, 8, 8), 'float32', (1797,))
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (np.asarray(digits.images, dtype="float64") / 16.0).astype("float32")
    y = np.asarray(digits.target, dtype="int64")
    return X, y


def load_mnist_rows(
    path: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST from a local ``mnist.npz``, each image as a sequence of 28 rows of 28 pixels.

    Reads the file in the Keras layout (the one ``keras.datasets.mnist.load_data()`` caches,
    usually at ``~/.keras/datasets/mnist.npz``) with arrays ``x_train``, ``y_train``,
    ``x_test`` and ``y_test``. Nothing is downloaded: the file must already be there.

    Parameters
    ----------
    path : str or os.PathLike
        Path to the ``.npz`` file.

    Returns
    -------
    X_train : np.ndarray
        float32, shape ``(n_train, 28, 28)`` = ``(n_samples, n_steps, n_features)``, pixels
        divided by 255 (values in [0, 1]).
    y_train : np.ndarray
        int64 labels, shape ``(n_train,)``.
    X_test : np.ndarray
        float32, shape ``(n_test, 28, 28)``, scaled like ``X_train``.
    y_test : np.ndarray
        int64 labels, shape ``(n_test,)``.

    Raises
    ------
    DataError
        If the file does not exist, is not an ``.npz`` archive, lacks one of the four keys,
        or holds arrays of the wrong shapes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from forecastkit.datasets import load_mnist_rows
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mnist.npz"
    >>> images = np.zeros((3, 28, 28), dtype=np.uint8)
    >>> np.savez(path, x_train=images, y_train=np.arange(3), x_test=images[:1], y_test=[7])
    >>> X_train, y_train, X_test, y_test = load_mnist_rows(path)
    >>> X_train.shape, X_test.shape, y_test.tolist()
    ((3, 28, 28), (1, 28, 28), [7])
    """
    expected = ", ".join(_MNIST_KEYS)
    if not os.path.isfile(path):
        raise DataError(
            f"`path` must point to an existing MNIST file 'mnist.npz' with arrays {expected}; "
            f"got path={os.fspath(path)!r}, which does not exist. forecastkit never downloads "
            f"data: fetch it once with keras.datasets.mnist.load_data() (cached at "
            f"~/.keras/datasets/mnist.npz) and pass that path, or use load_digit_rows()."
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataError(
            f"`path` must be an .npz archive like Keras' 'mnist.npz' with arrays {expected}; "
            f"could not read path={os.fspath(path)!r} ({error}). Check the file."
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(
            f"`path` must be an .npz archive like Keras' 'mnist.npz' with arrays {expected}; "
            f"path={os.fspath(path)!r} holds a single array instead. Save the four arrays "
            f"with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    with archive:
        missing = [key for key in _MNIST_KEYS if key not in archive.files]
        if missing:
            raise DataError(
                f"`path` must hold the arrays {expected} (Keras 'mnist.npz' layout); "
                f"path={os.fspath(path)!r} lacks {missing} and has {sorted(archive.files)}. "
                f"Pass the mnist.npz cached by keras.datasets.mnist.load_data()."
            )
        arrays = {key: archive[key] for key in _MNIST_KEYS}
    out = []
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(
                f"`path` must hold x_{part} of shape (n_samples, 28, 28) and y_{part} of shape "
                f"(n_samples,); got x_{part}.shape={images.shape} and y_{part}.shape="
                f"{labels.shape} in {os.fspath(path)!r}. Check the file."
            )
        out += [(images.astype("float32") / np.float32(255.0)), labels.astype("int64")]
    X_train, y_train, X_test, y_test = out
    return X_train, y_train, X_test, y_test


def _make_t(n: int, stop: float) -> np.ndarray:
    """Check ``n`` and ``stop``; return ``np.linspace(0, stop, n)``."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ParameterError(
            f"`n` must be a positive integer (the number of points); got n={n!r}. Pass e.g. n=2000."
        )
    if isinstance(stop, bool) or not isinstance(stop, Real) or not np.isfinite(stop):
        raise ParameterError(
            f"`stop` must be a finite number (the last value of t); got stop={stop!r}. "
            f"Pass e.g. stop=100.0."
        )
    return np.linspace(0.0, float(stop), int(n))

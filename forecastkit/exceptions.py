"""Error and warning types raised by forecastkit.

Every error forecastkit raises on purpose derives from :class:`ForecastkitError`, so
``except ForecastkitError`` catches them all. Each one also derives from the built-in
type that code outside forecastkit would expect, so ``except ValueError`` keeps working.

Hierarchy::

    Exception
    └── ForecastkitError
        ├── DataError        (also ValueError)  bad input data: NaN, too short, dtype, index
        ├── ParameterError   (also ValueError)  bad argument value: window <= 0, horizon, sizes
        ├── ModelFileError   (also ValueError)  corrupt, foreign or tampered saved model file
        └── NotFittedError   (also sklearn.exceptions.NotFittedError, so ValueError and
                              AttributeError)   an estimator used before fit

    UserWarning
    ├── ConstantSeriesWarning   a constant column: works, but its scaled values are all zero
    └── DroppedStepsWarning     a stateful fit leaves out the steps that do not fill a batch

Examples
--------
>>> from forecastkit.exceptions import DataError, ForecastkitError
>>> try:
...     raise DataError("`y` is empty. Pass a series with at least one value.")
... except ForecastkitError as err:
...     print(type(err).__name__, isinstance(err, ValueError))
DataError True
"""

from __future__ import annotations

import sklearn.exceptions

__all__ = [
    "ConstantSeriesWarning",
    "DataError",
    "DroppedStepsWarning",
    "ForecastkitError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
]


class ForecastkitError(Exception):
    """Base class of every error forecastkit raises on purpose.

    Examples
    --------
    >>> issubclass(DataError, ForecastkitError)
    True
    """


class DataError(ForecastkitError, ValueError):
    """Bad input data: NaN or inf, too short, wrong dtype, or a problem with the index.

    Examples
    --------
    >>> isinstance(DataError("`y` contains 3 NaN values."), ValueError)
    True
    """


class ParameterError(ForecastkitError, ValueError):
    """Bad argument value, such as ``window <= 0``, a bad ``horizon`` or split sizes.

    Examples
    --------
    >>> isinstance(ParameterError("`window` must be positive; got window=0."), ValueError)
    True
    """


class ModelFileError(ForecastkitError, ValueError):
    """A saved model file is corrupt, was not written by forecastkit, or was tampered with.

    Examples
    --------
    >>> issubclass(ModelFileError, ForecastkitError)
    True
    """


class NotFittedError(ForecastkitError, sklearn.exceptions.NotFittedError):
    """An estimator was used (``predict``, ``forecast``, ...) before ``fit``.

    It is also a :class:`sklearn.exceptions.NotFittedError`, so scikit-learn tools that
    catch that error treat forecastkit estimators like their own.

    Examples
    --------
    >>> import sklearn.exceptions
    >>> issubclass(NotFittedError, sklearn.exceptions.NotFittedError)
    True
    """


class ConstantSeriesWarning(UserWarning):
    """A column has the same value at every step.

    Fitting still works, but after scaling that column is all zeros, so it carries no
    information for the model.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("column 'y' is constant", ConstantSeriesWarning)
    >>> caught[0].category.__name__
    'ConstantSeriesWarning'
    """


class DroppedStepsWarning(UserWarning):
    """A fit leaves out training steps that do not fill a whole batch.

    A stateful :class:`~forecastkit.SequenceRegressor` trains on ``batch_size`` streams of
    whole ``time_steps`` chunks, so the last steps of the training part that do not fill a
    batch (fewer than ``batch_size * time_steps``) are not trained on. The message says how
    many and how to use them (a training part that is a multiple of
    ``batch_size * time_steps``); silence it with
    ``warnings.filterwarnings("ignore", category=DroppedStepsWarning)`` when that is fine.

    Examples
    --------
    >>> issubclass(DroppedStepsWarning, UserWarning)
    True
    """

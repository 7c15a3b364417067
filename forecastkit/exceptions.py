"""Error and warning types raised by forecastkit.

Every error forecastkit raises on purpose derives from :class:`ForecastkitError`, so
``except ForecastkitError`` catches them all. Each one also derives from the built-in
type that code outside forecastkit would expect, so ``except ValueError`` keeps working.

Hierarchy::

    Exception
    └── ForecastkitError
        ├── DataError        (also ValueError)  bad input data: NaN, too short, dtype, index
        ├── ParameterError   (also ValueError)  bad argument value: window <= 0, horizon, sizes
        ├── ModelFileError   (also ValueError)  a saved model file forecastkit refuses to load
        │   ├── MissingModelFileError    no file at the path
        │   ├── NotAnArchiveError        not a zip at all: text, pickle, HDF5, ...
        │   ├── TruncatedModelFileError  starts like a zip but its end is missing
        │   ├── ForeignModelFileError    a zip, but not this estimator's (plain Keras, other)
        │   ├── TamperedModelFileError   a member differs from its saved checksum, or is corrupt
        │   ├── UnsafeModelFileError     content forecastkit never writes: extra or unsafe
        │   │                            member names, oversized members, unknown classes
        │   └── ModelVersionError        written by a newer forecastkit file format (major)
        ├── ResumeError      (also ValueError)  a resume_dir backup of a different fit
        ├── TrainingDivergedError (also RuntimeError)  the loss was never finite (or never
        │                                       better than the untrained network)
        ├── MissingDependencyError (also ImportError)  an optional extra is not installed
        └── NotFittedError   (also sklearn.exceptions.NotFittedError, so ValueError and
                              AttributeError)   an estimator used before fit

    UserWarning
    ├── ConstantSeriesWarning   a constant column: works, but its scaled values are all zero
    ├── DroppedStepsWarning     a stateful fit leaves out the steps that do not fill a batch
    ├── ModelVersionWarning     a model file from a newer minor format or a newer Keras
    └── TrainingDivergedWarning the loss became NaN or inf; the best earlier weights were kept

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
    "ForeignModelFileError",
    "MissingDependencyError",
    "MissingModelFileError",
    "ModelFileError",
    "ModelVersionError",
    "ModelVersionWarning",
    "NotAnArchiveError",
    "NotFittedError",
    "ParameterError",
    "ResumeError",
    "TamperedModelFileError",
    "TrainingDivergedError",
    "TrainingDivergedWarning",
    "TruncatedModelFileError",
    "UnsafeModelFileError",
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


class MissingModelFileError(ModelFileError):
    """There is no file (or a folder) at the path given to ``load``.

    Examples
    --------
    >>> issubclass(MissingModelFileError, ModelFileError)
    True
    """


class ResumeError(ForecastkitError, ValueError):
    """A ``resume_dir`` holds the backup of a different fit (other network, data or options).

    Examples
    --------
    >>> issubclass(ResumeError, ValueError)
    True
    """


class NotAnArchiveError(ModelFileError):
    """The file is not a zip archive at all (text, pickle, HDF5); forecastkit never unpickles.

    Examples
    --------
    >>> issubclass(NotAnArchiveError, ModelFileError)
    True
    """


class TrainingDivergedError(ForecastkitError, RuntimeError):
    """Training diverged and no epoch gave usable weights (lower the learning rate).

    Raised when the loss became NaN or inf and no earlier epoch had a finite loss better
    than the untrained network's; a fitted estimator's weights are always finite.

    Examples
    --------
    >>> issubclass(TrainingDivergedError, RuntimeError)
    True
    """


class TruncatedModelFileError(ModelFileError):
    """The file starts like a zip archive but its end is missing (an interrupted copy).

    Examples
    --------
    >>> issubclass(TruncatedModelFileError, ModelFileError)
    True
    """


class ForeignModelFileError(ModelFileError):
    """A zip archive, but not one this estimator saved: a plain Keras file, another estimator.

    Examples
    --------
    >>> issubclass(ForeignModelFileError, ModelFileError)
    True
    """


class TamperedModelFileError(ModelFileError):
    """A member does not match the checksum written when the file was saved, or is corrupt.

    Examples
    --------
    >>> issubclass(TamperedModelFileError, ModelFileError)
    True
    """


class UnsafeModelFileError(ModelFileError):
    """Content forecastkit never writes; nothing in it was run.

    An extra or unsafe member name, an oversized member (a decompression bomb) or a class
    outside the allow-list.

    Examples
    --------
    >>> issubclass(UnsafeModelFileError, ModelFileError)
    True
    """


class ModelVersionError(ModelFileError):
    """The file was written in a newer major forecastkit file format: upgrade forecastkit.

    Examples
    --------
    >>> issubclass(ModelVersionError, ModelFileError)
    True
    """


class MissingDependencyError(ForecastkitError, ImportError):
    """An optional package is missing; the message names the extra that installs it.

    Examples
    --------
    >>> issubclass(MissingDependencyError, ImportError)
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


class ModelVersionWarning(UserWarning):
    """A model file from a newer minor forecastkit format, or saved with a newer Keras.

    It loads, but details added since may be ignored: upgrading is safer.

    Examples
    --------
    >>> issubclass(ModelVersionWarning, UserWarning)
    True
    """


class TrainingDivergedWarning(UserWarning):
    """The loss became NaN or inf during training; the best finite epoch's weights were kept.

    The message names the epoch where training diverged, the epoch restored and the fix
    (a lower ``learning_rate``).

    Examples
    --------
    >>> issubclass(TrainingDivergedWarning, UserWarning)
    True
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

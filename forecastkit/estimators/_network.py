"""Build and train a Forecaster's network: seeding, windows, distribution scope, callbacks.

The one place a Forecaster hands its prepared series to :mod:`forecastkit.models` and
:mod:`forecastkit.training`; the same call trains on one series or on many.
"""

from __future__ import annotations

import contextlib

from forecastkit.data.validation import check_window
from forecastkit.estimators._keras import history_frame
from forecastkit.exceptions import ParameterError

__all__ = ["MEMBER_AVERAGE_EPOCHS", "MEMBER_BEST_EPOCHS", "distribution_scope", "train_network"]

#: Every member of an ensemble restores the weights of its own best validation epoch
#: (:class:`~forecastkit.training.callbacks.MemberEarlyStopping`); False: one epoch, the
#: best of the members' mean loss, for all (as before session 10; ``bench/accuracy.py``
#: measures both).
MEMBER_BEST_EPOCHS = True

#: With MEMBER_BEST_EPOCHS, each member's restored weights are the mean of the weights of
#: its this many best validation epochs (checkpoint averaging; 1: its best epoch's, as in
#: sessions 10-11). Chosen on the 17 series of ``bench/accuracy.py`` (docs/benchmarks.md,
#: session 12).
MEMBER_AVERAGE_EPOCHS = 5


def train_network(
    est,
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
    """Seed, build and train the network.

    ``train_parts`` / ``val_parts``: the scaled series (one array, or one per series)
    whose windows are the training / validation samples, or the series before
    ``prepare`` (transform and scale, consuming ``lag`` rows). Windows are materialised
    when small and streamed otherwise
    (:func:`~forecastkit.training.dataset.make_training_data`);
    with ``distribution`` the network is built and compiled in its scope and the batch
    is ``batch_size`` per replica. ``strategy="seq2seq"`` trains a sequence network (any
    number of steps in, the next value at every position out) on
    :func:`~forecastkit.data.windows.make_sequence_windows` samples, with the MSE over all
    positions.

    With ``n_models > 1`` the members are built side by side in one model and trained by
    one ``fit`` (as one fused network when :func:`~forecastkit.models.fused.fusable`
    accepts them, their trained weights then copied back) on the mean of their own losses,
    each member on its own shuffled order of the training windows
    (:class:`~forecastkit.training.dataset.MemberBatches`); ``loss`` and ``val_loss`` are
    then the members' mean MSE, which decides when training stops, and every member ends
    with the mean of the weights of its own :data:`MEMBER_AVERAGE_EPOCHS` best validation
    epochs (``member_<k>_mse`` in the history;
    :class:`~forecastkit.training.callbacks.MemberEarlyStopping`).

    Returns ``(model, history, best_epoch)`` with ``history`` the per-epoch DataFrame;
    ``model`` forecasts the members' mean.
    """
    import keras

    from forecastkit.models.builders import (
        build_regressor,
        check_n_models,
        member_models,
        n_members,
        training_model,
    )
    from forecastkit.models.fused import fused_trainer, write_members
    from forecastkit.training.dataset import make_training_data
    from forecastkit.training.fit import train
    from forecastkit.training.seeding import resolve_seed

    sequences = est.strategy == "seq2seq"  # a target at every position (teacher forcing)
    scope, replicas = distribution_scope(est.distribution)
    seed = resolve_seed(est.random_state)
    batch_size = check_window(est.batch_size, name="batch_size") * replicas
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
        sequences=sequences,
        members=check_n_models(est.n_models),
    )
    with scope:
        model = build_regressor(
            window=None if sequences else window,
            n_features=n_features,
            horizon=out_steps,
            n_targets=n_targets,
            units=est.units,
            cell=est.cell,
            bidirectional=est.bidirectional,
            dropout=est.dropout,
            seed=seed,
            n_models=est.n_models,
            sequences=sequences,
        )
        fused = fused_trainer(model) if _fuse(est) else None
        trainer = training_model(model) if fused is None else fused
        if not MEMBER_BEST_EPOCHS:
            members = ()
        elif fused is not None:
            members = n_members(model)
        else:
            members = member_models(model)
        result = train(
            trainer,
            *data,
            validation=validation,
            epochs=check_window(est.epochs, name="epochs"),
            batch_size=batch_size,
            optimizer=est.optimizer,
            learning_rate=est.learning_rate,
            patience=check_window(est.patience, name="patience"),
            callbacks=list(est.callbacks or []),
            verbose=est.verbose,
            resume_dir=est.resume_dir,
            log_dir=est.log_dir,
            seed=seed,
            members=members,
            average_epochs=MEMBER_AVERAGE_EPOCHS,
        )
        if fused is not None:
            write_members(fused, model)
    for dataset in (data[0], validation):  # TensorFlow keeps datasets alive after fit
        if isinstance(dataset, keras.utils.PyDataset):
            dataset.release()
    history = history_frame(result)
    return model, history, result.best_epoch


def _fuse(est) -> bool:
    """Tell whether an ensemble may train as one fused network.

    The same arithmetic, one recurrent loop and one optimizer update per weight for all
    members (:func:`~forecastkit.models.fused.fused_trainer`), when the optimizer updates
    element by element (then each member's update is its own) and no GPU is visible (there
    Keras runs each member's LSTM/GRU through cuDNN, which the fused loop would replace;
    measured on CPU only). Otherwise the members train side by side on their own layers.
    """
    import tensorflow as tf

    from forecastkit.training.fit import updates_elementwise

    return updates_elementwise(est.optimizer) and not tf.config.list_physical_devices("GPU")


def distribution_scope(distribution):
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

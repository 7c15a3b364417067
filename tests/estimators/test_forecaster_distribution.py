"""``Forecaster(distribution=...)``: training under a tf.distribute strategy."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecastkit import Forecaster
from forecastkit.exceptions import ParameterError
from forecastkit.persistence import decode_params, encode_params

# Run in a subprocess: logical devices must be configured before TensorFlow initialises,
# and the configuration must not leak into the test process.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from forecastkit import Forecaster
    from forecastkit.training import dataset as dataset_module

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    steps = []

    class CountSteps(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            steps.append(0)

        def on_train_batch_end(self, batch, logs=None):
            steps[-1] += 1

    t = np.arange(100)
    y = pd.Series(np.sin(t / 3) + 5, index=pd.date_range("2020-01-01", periods=100, freq="D"))
    out = {}
    for path, threshold in (("arrays", None), ("streamed", 0)):
        if threshold is not None:
            dataset_module.STREAM_BYTES = threshold  # force the streamed windows
        steps.clear()
        f = Forecaster(
            window=8, units=(4,), epochs=2, batch_size=8, target_transform="none", random_state=0,
            verbose=0, distribution=strategy, callbacks=[CountSteps()],
        ).fit(y)
        out[path] = {
            "replicas": f.model_.distribute_strategy.num_replicas_in_sync,
            "variable": type(f.model_.weights[0].value).__name__,
            "steps": list(steps),
            "n_samples": f.sizes_[0] - 8,
        }
    f.save(sys.argv[1])
    out["forecast"] = f.forecast(5).tolist()  # outside the scope
    print(json.dumps(out))
    """
)


def test_mirrored_strategy_on_two_logical_cpus_trains_saves_and_reloads(tmp_path):
    path = tmp_path / "mirrored.keras"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for run in ("arrays", "streamed"):
        assert out[run]["replicas"] == 2
        assert out[run]["variable"] == "MirroredVariable"
        # batch_size=8 per replica: 16 windows per step across the two replicas.
        assert out[run]["steps"] == [-(-out[run]["n_samples"] // 16)] * 2
    loaded = Forecaster.load(path)  # here: no strategy, one CPU device
    assert loaded.distribution is None
    np.testing.assert_allclose(loaded.forecast(5).to_numpy(), out["forecast"], rtol=1e-5)


def test_distribution_parameter_is_checked_cloned_and_not_saved(tmp_path):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    f = Forecaster(window=6, units=(4,), epochs=1, verbose=0, distribution=strategy)
    assert f.get_params()["distribution"] is strategy
    assert isinstance(clone(f).distribution, tf.distribute.Strategy)
    assert decode_params(encode_params(f.get_params()))["distribution"] is None
    y = pd.Series(np.sin(np.arange(60) / 3), name="y")
    f.fit(y)
    path = tmp_path / "one-device.keras"
    f.save(path)
    loaded = Forecaster.load(path)
    assert loaded.distribution is None
    pd.testing.assert_series_equal(loaded.forecast(3), f.forecast(3))
    with pytest.raises(ParameterError, match=r"tf\.distribute\.Strategy"):
        Forecaster(window=6, units=(4,), epochs=1, distribution="mirrored").fit(y)

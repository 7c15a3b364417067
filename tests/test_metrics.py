import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecastkit.exceptions import DataError, ParameterError
from forecastkit.metrics import METRICS, mae, mape, mase, rmse, smape

Y_TRUE = [1.0, 2.0, 4.0, 8.0]
Y_PRED = [2.0, 2.0, 3.0, 5.0]  # errors 1, 0, -1, -3


def _mase_by_hand(y_true, y_pred, y_train, m):
    """Independent reference: plain Python loops, no NumPy."""
    scale_terms = []
    for t in range(m, len(y_train)):
        scale_terms.append(abs(y_train[t] - y_train[t - m]))
    scale = sum(scale_terms) / len(scale_terms)
    errors = [abs(a - b) for a, b in zip(y_true, y_pred, strict=True)]
    return (sum(errors) / len(errors)) / scale


# ---------------------------------------------------------------- values by hand


def test_mae_by_hand():
    assert mae(Y_TRUE, Y_PRED) == pytest.approx((1 + 0 + 1 + 3) / 4)


def test_rmse_by_hand():
    assert rmse(Y_TRUE, Y_PRED) == pytest.approx(np.sqrt((1 + 0 + 1 + 9) / 4))


def test_mape_by_hand():
    expected = 100 * (1 / 1 + 0 / 2 + 1 / 4 + 3 / 8) / 4
    assert mape(Y_TRUE, Y_PRED) == pytest.approx(expected)


def test_smape_by_hand():
    expected = (200 * 1 / 3 + 0 + 200 * 1 / 7 + 200 * 3 / 13) / 4
    assert smape(Y_TRUE, Y_PRED) == pytest.approx(expected)


def test_smape_counts_zero_over_zero_as_zero():
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert smape([0.0, 2.0], [0.0, 0.0]) == pytest.approx((0 + 200) / 2)


def test_smape_is_bounded_by_200():
    assert smape([1.0, -1.0], [-1.0, 1.0]) == pytest.approx(200.0)


def test_mase_by_hand_no_season():
    # naive scale: |3-1|, |2-3|, |6-2| -> 7/3; MAE 5/4
    y_train = [1.0, 3.0, 2.0, 6.0]
    assert mase(Y_TRUE, Y_PRED, y_train=y_train) == pytest.approx((5 / 4) / (7 / 3))


def test_mase_matches_loop_implementation():
    rng = np.random.default_rng(0)
    y_train = list(10 + np.sin(np.arange(30) * 2 * np.pi / 12) + rng.normal(0, 0.3, 30))
    y_true = list(rng.normal(10, 1, 6))
    y_pred = list(rng.normal(10, 1, 6))
    expected = _mase_by_hand(y_true, y_pred, y_train, 12)
    got = mase(np.array(y_true), pd.Series(y_pred), y_train=pd.Series(y_train), season_length=12)
    assert got == pytest.approx(expected, rel=1e-12)


def test_mase_scales_each_column_by_its_own_training_column():
    y_train = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [0.0, 10.0, 20.0]})  # scales 1 and 10
    y_true = pd.DataFrame({"a": [3.0, 4.0], "b": [30.0, 40.0]})
    y_pred = pd.DataFrame({"a": [4.0, 4.0], "b": [40.0, 40.0]})  # MAE 0.5 and 5
    assert mase(y_true, y_pred, y_train=y_train) == pytest.approx(0.5)
    one = mase(y_true["a"], y_pred["a"], y_train=y_train["a"])
    assert one == pytest.approx(mae(y_true["a"], y_pred["a"]) / 1.0)


def test_mase_accepts_one_column_train_for_series():
    got = mase(Y_TRUE, Y_PRED, y_train=np.array([[1.0], [3.0], [2.0], [6.0]]))
    assert got == pytest.approx((5 / 4) / (7 / 3))


@pytest.mark.parametrize("n_train", [1, 2])
def test_mase_refuses_short_train(n_train):
    with pytest.raises(DataError, match=r"y_train.*longer than `season_length`"):
        mase([1.0], [1.0], y_train=[1.0] * n_train, season_length=2)


def test_mase_refuses_zero_scale():
    with pytest.raises(DataError, match="scale is 0"):
        mase([1.0], [2.0], y_train=[5.0, 6.0, 5.0, 6.0], season_length=2)


def test_mase_zero_scale_names_the_column():
    y_train = pd.DataFrame({"a": [0.0, 1.0, 2.0], "flat": [3.0, 3.0, 3.0]})
    y = pd.DataFrame({"a": [1.0], "flat": [3.0]})
    with pytest.raises(DataError, match="column 'flat'"):
        mase(y, y, y_train=y_train)


@pytest.mark.parametrize("season_length", [0, -1, 1.5, True, "12"])
def test_mase_refuses_bad_season_length(season_length):
    with pytest.raises(ParameterError, match="season_length"):
        mase([1.0], [1.0], y_train=[1.0, 2.0, 3.0], season_length=season_length)


def test_mase_requires_y_train_keyword():
    with pytest.raises(TypeError):
        mase([1.0], [1.0], [1.0, 2.0])  # type: ignore[misc]


# ---------------------------------------------------------------- mape zeros


def test_mape_refuses_zero_and_names_first_label():
    index = pd.date_range("2024-01-01", periods=4, freq="D")
    y_true = pd.Series([1.0, 0.0, 2.0, 0.0], index=index)
    with pytest.raises(DataError) as info:
        mape(y_true, y_true + 1)
    message = str(info.value)
    assert "2024-01-02" in message
    assert "2 zero" in message
    assert "smape" in message and "mase" in message


def test_mape_zero_in_numpy_names_position():
    with pytest.raises(DataError, match=r"position \(2,\)"):
        mape(np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.0, 3.0]))


def test_mape_allows_zero_in_prediction():
    assert mape([1.0, 2.0], [0.0, 2.0]) == pytest.approx(50.0)


# ---------------------------------------------------------------- input kinds


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_returns_python_float_for_every_input_kind(name):
    kwargs = {"y_train": np.arange(1.0, 6.0)} if name == "mase" else {}
    func = METRICS[name]
    reference = func(np.array(Y_TRUE), np.array(Y_PRED), **kwargs)
    assert type(reference) is float
    for make in (list, np.array, pd.Series):
        assert func(make(Y_TRUE), make(Y_PRED), **kwargs) == pytest.approx(reference)


def test_metrics_registry_names():
    assert set(METRICS) == {"mae", "rmse", "mape", "smape", "mase"}
    assert METRICS["mae"] is mae and METRICS["mase"] is mase


def test_two_dimensional_inputs_average_over_every_element():
    y_true = np.array([[1.0, 10.0], [2.0, 20.0]])
    y_pred = np.array([[2.0, 10.0], [2.0, 24.0]])
    assert mae(y_true, y_pred) == pytest.approx((1 + 0 + 0 + 4) / 4)
    assert rmse(y_true, y_pred) == pytest.approx(np.sqrt((1 + 16) / 4))
    frame_true = pd.DataFrame(y_true, columns=["a", "b"])
    frame_pred = pd.DataFrame(y_pred, columns=["a", "b"])
    assert mae(frame_true, frame_pred) == pytest.approx(5 / 4)


def test_series_pairs_with_one_column_frame():
    s = pd.Series(Y_TRUE)
    frame = pd.DataFrame({"forecast": Y_PRED})
    assert mae(s, frame) == pytest.approx(5 / 4)
    assert mae(frame, s) == pytest.approx(5 / 4)


# ---------------------------------------------------------------- alignment


def test_pandas_inputs_are_aligned_by_index():
    index = pd.date_range("2024-01-01", periods=4, freq="MS")
    y_true = pd.Series(Y_TRUE, index=index)
    y_pred = pd.Series(Y_PRED, index=index)[::-1]  # same labels, reversed order
    assert mae(y_true, y_pred) == pytest.approx(5 / 4)
    assert mape(y_true, y_pred) == pytest.approx(mape(Y_TRUE, Y_PRED))


def test_frame_columns_same_set_are_aligned_by_name():
    y_true = pd.DataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]})
    y_pred = pd.DataFrame({"b": [10.0, 20.0], "a": [1.0, 2.0]})
    assert mae(y_true, y_pred) == 0.0


def test_different_index_labels_raise_with_count_and_first():
    y_true = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    y_pred = pd.Series([1.0, 2.0, 3.0], index=[1, 2, 3])
    with pytest.raises(DataError) as info:
        mae(y_true, y_pred)
    message = str(info.value)
    assert "2 label(s) differ" in message
    assert "0 is in y_true only" in message


def test_repeated_labels_in_other_order_cannot_be_aligned():
    y_true = pd.Series([1.0, 2.0, 3.0], index=[0, 0, 1])
    y_pred = pd.Series([1.0, 2.0, 3.0], index=[1, 0, 0])
    with pytest.raises(DataError, match="repeat"):
        mae(y_true, y_pred)


def test_numpy_and_pandas_pair_by_position():
    y_true = pd.Series(Y_TRUE, index=[10, 11, 12, 13])
    assert mae(y_true, np.array(Y_PRED)) == pytest.approx(5 / 4)


# ---------------------------------------------------------------- errors


def test_shape_mismatch_raises():
    with pytest.raises(DataError, match=r"same shape.*\(3,\).*\(2,\)"):
        mae([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(DataError, match="same shape"):
        mae(np.ones((3, 1)), np.ones(3))


@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize("side", ["y_true", "y_pred"])
def test_nan_raises_naming_the_argument(name, side):
    good = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3, freq="D"))
    bad = good.copy()
    bad.iloc[1] = np.nan
    args = (bad, good) if side == "y_true" else (good, bad)
    kwargs = {"y_train": [1.0, 2.0, 4.0]} if name == "mase" else {}
    with pytest.raises(DataError, match=f"`{side}` must not contain NaN.*2024-01-02"):
        METRICS[name](*args, **kwargs)


def test_nan_in_y_train_raises():
    with pytest.raises(DataError, match="`y_train` must not contain NaN"):
        mase([1.0], [1.0], y_train=[1.0, np.nan, 2.0])


def test_nullable_pandas_missing_value_raises():
    y_true = pd.Series([1.0, None, 3.0], dtype="Float64")
    with pytest.raises(DataError, match="`y_true` must not contain NaN"):
        mae(y_true, pd.Series([1.0, 2.0, 3.0]))


def test_non_numeric_and_empty_inputs_raise():
    with pytest.raises(DataError, match="`y_pred` must hold numbers"):
        mae([1.0, 2.0], ["a", "b"])
    with pytest.raises(DataError, match="`y_true` must hold at least one value"):
        mae([], [])
    with pytest.raises(DataError, match="`y_true` must hold at least one value"):
        mae(1.0, 1.0)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        mae([1.0], [1.0, 2.0])


def test_import_is_light():
    code = (
        "import sys, forecastkit.metrics; "
        "bad = [m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Long-format frames: splitting into checked series and stacking results back."""

import doctest

import numpy as np
import pandas as pd
import pytest

import forecastkit.data.long
from forecastkit.data.long import is_long_frame, long_series, split_long, to_long
from forecastkit.exceptions import DataError


def test_docstring_examples():
    result = doctest.testmod(forecastkit.data.long, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def _frame():
    return pd.DataFrame(
        {
            "unique_id": ["b", "a", "b", "a", "b", "a", "a"],
            "ds": [2, 3, 0, 0, 1, 1, 2],  # unsorted within each series, interleaved
            "y": [12.0, 3.0, 10.0, 0.0, 11.0, 1.0, 2.0],
        }
    )


def test_split_keeps_first_appearance_order_and_sorts_each_series_by_time():
    parts = split_long(_frame())
    assert [uid for uid, _ in parts] == ["b", "a"]
    b, a = parts[0][1], parts[1][1]
    assert b.values[:, 0].tolist() == [10.0, 11.0, 12.0]
    assert a.values[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert a.axis.kind == "range" and a.axis.n_steps == 4 and a.axis.name == "ds"


def test_each_series_has_its_own_axis_and_frequency():
    months = pd.period_range("2000-01", periods=4, freq="M")
    hours = pd.date_range("2020-01-01", periods=5, freq="h")
    frame = pd.concat(
        [pd.DataFrame({"id": 1, "t": months, "v": 1.0}), pd.DataFrame({"id": 2, "t": hours})]
    )
    frame["v"] = np.arange(len(frame), dtype=float)
    parts = split_long(frame, id_col="id", time_col="t", target_col="v")
    assert [(uid, c.axis.kind, c.axis.freq, c.axis.n_steps) for uid, c in parts] == [
        (1, "period", "M", 4),
        (2, "datetime", "h", 5),
    ]
    assert all(type(uid) is int for uid, _ in parts)  # NumPy ids become Python scalars


def test_errors_name_the_series():
    frame = _frame()
    with pytest.raises(DataError, match=r"Series 'a' .*NaN"):
        split_long(frame.assign(y=np.where(frame["unique_id"].eq("a"), np.nan, frame["y"])))
    with pytest.raises(DataError, match=r"Series 'b' .*duplicate"):
        split_long(pd.concat([frame, frame[frame["unique_id"] == "b"].head(1)]))
    with pytest.raises(DataError, match="no column"):
        split_long(frame.rename(columns={"y": "value"}))
    with pytest.raises(DataError, match="missing values"):
        split_long(frame.assign(unique_id=[None, "a", "b", "a", "b", "a", "a"]))
    with pytest.raises(DataError, match="empty"):
        split_long(frame.iloc[:0])


def test_a_series_of_two_rows_is_called_too_short_not_irregular():
    def piece(uid, n):
        days = pd.date_range("2023-01-01", periods=n, freq="D")
        return pd.DataFrame({"unique_id": uid, "ds": days, "y": np.arange(n, dtype=float)})

    with pytest.raises(DataError, match=r"Series 'b' .*only 2 time label.*filter"):
        split_long(pd.concat([piece("a", 60), piece("b", 2)]))


def test_is_long_frame():
    frame = _frame()
    assert is_long_frame(frame)
    assert not is_long_frame(frame.drop(columns="unique_id"))
    assert not is_long_frame(frame["y"])
    assert is_long_frame(frame.rename(columns={"ds": "t"}), time_col="t")
    with pytest.raises(DataError, match="no time column 'ds'"):
        is_long_frame(frame.drop(columns="ds"))


def test_to_long_stacks_in_order_with_each_piece_labels():
    a = pd.Series([1.0, 2.0], index=pd.date_range("2020-01-31", periods=2, freq="ME"))
    b = pd.Series([3.0], index=pd.date_range("2021-05-01 03:00", periods=1, freq="h"))
    out = to_long(["x", "y"], [a, b], id_col="id", time_col="when", name="F")
    assert list(out.columns) == ["id", "when", "F"]
    assert out["id"].tolist() == ["x", "x", "y"]
    assert out["when"].tolist() == [*a.index, *b.index]
    assert out["F"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match="one id per piece"):
        to_long(["x"], [a, b], name="F")


@pytest.mark.parametrize(
    "ids",
    [[1.5, 2.5], [True, False], ["a", 1.5], pd.Categorical([1.5, 2.5])],
    ids=["float", "bool", "mixed", "float-categories"],
)
def test_ids_a_model_could_not_save_are_refused_with_the_fix(ids):
    frame = pd.DataFrame({"unique_id": ids, "ds": [0, 0], "y": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"strings or integers.*astype\(str\)"):
        long_series(frame)

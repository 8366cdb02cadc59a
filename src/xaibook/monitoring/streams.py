"""Production streams with a growing shift, calibrated alarms and detection delays.

A stream is a sequence of batches drawn from two pools of rows: *clean*
rows (like the data the model was validated on) and *shifted* rows (Gen-Z
images, an older or more-often-arrested population). The share of shifted
rows per batch follows a schedule (0 before the shift starts, then a ramp).

A detector is any function ``statistic(rows) -> float`` of a batch (the
row indices of the pooled data; see :mod:`xaibook.monitoring.detectors`).
:func:`calibrate` draws clean batches, computes the statistic on each and
sets the alarm threshold at their ``1 - alpha`` quantile
(:func:`xaibook.stats.null_threshold`): on clean data the detector then
raises a false alarm in a share ``alpha`` of batches, by construction.
:func:`run_stream` applies the threshold batch by batch, and
:func:`detection_delay` counts how many shifted images went by before the
first alarm after the shift began.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xaibook.stats import null_threshold

__all__ = ["Stream", "Calibration", "share_schedule", "make_stream", "calibrate", "run_stream",
           "detection_delay", "false_alarm_rate"]


def share_schedule(n_batches: int, *, start: int, ramp: int, final: float = 1.0) -> np.ndarray:
    """Share of shifted rows per batch: 0 before ``start``, a linear ramp to ``final``.

    The first shifted batch (``start``) has ``final / ramp`` shifted rows;
    from ``start + ramp - 1`` on the share is ``final``.
    """
    if n_batches < 1 or not 0 <= start < n_batches or ramp < 1:
        raise ValueError("need n_batches >= 1, 0 <= start < n_batches and ramp >= 1, got "
                         f"{n_batches}, {start}, {ramp}")
    if not 0 < final <= 1:
        raise ValueError(f"final must be in (0, 1], got {final}")
    t = np.arange(n_batches)
    return np.clip((t - start + 1) / ramp, 0, 1) * final * (t >= start)


@dataclass(frozen=True)
class Stream:
    """Batches of row indices into the pooled data ``[clean rows; shifted rows]``.

    Attributes
    ----------
    batches : list of numpy.ndarray
        row indices of each batch (shifted rows are ``n_clean + j``).
    shares : numpy.ndarray
        planned share of shifted rows per batch.
    n_shifted : numpy.ndarray
        shifted rows actually drawn per batch.
    batch_size, start : int
    """

    batches: list = field(repr=False)
    shares: np.ndarray
    n_shifted: np.ndarray
    batch_size: int
    start: int

    def __len__(self) -> int:
        return len(self.batches)


def make_stream(n_clean: int, n_shifted_pool: int, shares, *, batch_size: int, start: int,
                seed: int = 0) -> Stream:
    """Draw a stream: each batch takes ``round(share * batch_size)`` shifted rows.

    Rows are drawn without replacement within a batch, independently across
    batches (a production stream re-uses no images within a batch).
    """
    shares = np.asarray(shares, dtype=float)
    if batch_size < 2 or batch_size > min(n_clean, n_shifted_pool):
        raise ValueError(f"batch_size must be between 2 and the smaller pool "
                         f"({min(n_clean, n_shifted_pool)}), got {batch_size}")
    rng = np.random.default_rng(seed)
    batches, counts = [], []
    for share in shares:
        k = int(round(share * batch_size))
        clean = rng.choice(n_clean, batch_size - k, replace=False)
        shifted = n_clean + rng.choice(n_shifted_pool, k, replace=False)
        batches.append(np.concatenate([clean, shifted]))
        counts.append(k)
    return Stream(batches, shares, np.array(counts), batch_size, start)


@dataclass(frozen=True)
class Calibration:
    """A detector's alarm threshold and the clean-batch values it came from."""

    threshold: float
    null: np.ndarray = field(repr=False)
    alpha: float

    def false_alarm_rate(self, values) -> float:
        return false_alarm_rate(values, self.threshold)


def calibrate(statistic: Callable[[np.ndarray], float], clean_rows, *, batch_size: int,
              n_null: int = 100, alpha: float = 0.05, seed: int = 0) -> Calibration:
    """Threshold at the ``1 - alpha`` quantile of ``statistic`` on clean batches.

    Parameters
    ----------
    statistic : callable
        maps the row indices of a batch to a number (large = drift).
    clean_rows : array-like of int
        rows the clean batches are drawn from.
    batch_size, n_null : int
        rows per batch and clean batches drawn.
    alpha : float
        intended false-alarm rate per batch; with ``n_null`` batches the
        smallest meaningful value is about ``1 / n_null``.
    """
    clean_rows = np.asarray(clean_rows)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if alpha * n_null < 1:
        raise ValueError(f"alpha={alpha} needs at least {int(np.ceil(1 / alpha))} clean batches, "
                         f"got n_null={n_null}")
    if batch_size > len(clean_rows):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(clean_rows)} clean rows")
    rng = np.random.default_rng(seed)
    null = np.array([statistic(rng.choice(clean_rows, batch_size, replace=False))
                     for _ in range(n_null)])
    return Calibration(null_threshold(null, q=1 - alpha), null, alpha)


def false_alarm_rate(values, threshold: float) -> float:
    """Share of ``values`` above ``threshold``."""
    values = np.asarray(values, dtype=float)
    return float(np.mean(values > threshold))


def run_stream(statistic: Callable[[np.ndarray], float], stream: Stream,
               threshold: float) -> pd.DataFrame:
    """The statistic and the alarm of every batch of ``stream``.

    Columns: ``batch``, ``share`` (planned), ``n_shifted``, ``statistic``,
    ``alarm`` (statistic above the threshold), ``shifted`` (the shift has begun).
    """
    values = [float(statistic(rows)) for rows in stream.batches]
    t = np.arange(len(stream))
    return pd.DataFrame({"batch": t, "share": stream.shares, "n_shifted": stream.n_shifted,
                         "statistic": values, "alarm": np.asarray(values) > threshold,
                         "shifted": t >= stream.start})


def detection_delay(frame: pd.DataFrame, *, start: int, batch_size: int) -> dict:
    """First alarm at or after ``start``: batches and images since the shift began.

    Returns a dict with ``batches`` (0 = the first shifted batch alarmed),
    ``images`` (all images from the shift's start to the end of the alarm
    batch), ``shifted_images`` (the shifted ones among them), ``detected`` and
    ``false_alarms`` (alarms before ``start``). Undetected: NaN delays.
    """
    for col in ("batch", "alarm", "n_shifted"):
        if col not in frame.columns:
            raise KeyError(f"frame needs a {col!r} column (from run_stream)")
    after = frame[frame["batch"] >= start]
    hits = after[after["alarm"]]
    false_alarms = int(frame.loc[frame["batch"] < start, "alarm"].sum())
    if hits.empty:
        return {"batches": np.nan, "images": np.nan, "shifted_images": np.nan,
                "detected": False, "false_alarms": false_alarms}
    first = int(hits["batch"].iloc[0])
    upto = after[after["batch"] <= first]
    return {"batches": first - start, "images": (first - start + 1) * batch_size,
            "shifted_images": int(upto["n_shifted"].sum()), "detected": True,
            "false_alarms": false_alarms}

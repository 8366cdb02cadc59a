"""Known-answer tests of the label-free drift detectors and stream calibration."""

import numpy as np
import pytest
from scipy import stats

from xaibook.monitoring.detectors import (c2st_score, chi2_score, colour_features, ks_score,
                                          max_softmax, mean_shift_score)
from xaibook.monitoring.streams import (calibrate, detection_delay, false_alarm_rate, make_stream,
                                        run_stream, share_schedule)


@pytest.fixture(scope="module")
def pools():
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(3000, 3))
    shifted = rng.normal(size=(1000, 3)) + np.array([1.0, 0.0, 0.0])
    return clean, shifted


def test_share_schedule():
    s = share_schedule(10, start=4, ramp=2, final=0.8)
    np.testing.assert_allclose(s, [0, 0, 0, 0, 0.4, 0.8, 0.8, 0.8, 0.8, 0.8])
    with pytest.raises(ValueError):
        share_schedule(10, start=10, ramp=1)
    with pytest.raises(ValueError):
        share_schedule(10, start=2, ramp=1, final=0)


def test_make_stream_counts(pools):
    clean, shifted = pools
    shares = share_schedule(6, start=2, ramp=2)
    stream = make_stream(len(clean), len(shifted), shares, batch_size=100, start=2, seed=1)
    np.testing.assert_array_equal(stream.n_shifted, [0, 0, 50, 100, 100, 100])
    for rows, k in zip(stream.batches, stream.n_shifted):
        assert len(rows) == 100 and np.sum(rows >= len(clean)) == k
        assert len(np.unique(rows)) == 100
    with pytest.raises(ValueError, match="batch_size"):
        make_stream(10, 10, shares, batch_size=50, start=2)


def test_scores_grow_with_shift(pools):
    clean, shifted = pools
    ref = clean[:1000]
    null = ks_score(ref, clean[1000:1200])
    assert ks_score(ref, shifted[:200]) > 3 * null
    assert mean_shift_score(ref, shifted[:200]) > 5 * mean_shift_score(ref, clean[1000:1200])
    assert c2st_score(ref, shifted[:200], seed=0) > 0.2
    assert abs(c2st_score(ref, clean[1000:1200], seed=0)) < 0.1
    assert chi2_score([0] * 50 + [1] * 50, [0] * 50 + [1] * 50, n_classes=2) == 0.0
    assert chi2_score([0] * 50 + [1] * 50, [0] * 90 + [1] * 10, n_classes=2) > 10
    with pytest.raises(ValueError):
        ks_score(ref, shifted[:10, :2])


def test_colour_features_and_confidence():
    img = np.zeros((2, 4, 4, 3))
    img[0, :2, :2] = (1.0, 0.5, 0.2)
    f = colour_features(img)
    np.testing.assert_allclose(f[0], (1.0, 0.5, 0.2))
    np.testing.assert_allclose(f[1], 0)
    np.testing.assert_allclose(max_softmax([[0.2, 0.8], [0.6, 0.4]]), [0.8, 0.6])
    with pytest.raises(ValueError, match="RGB"):
        colour_features(np.zeros((2, 4, 4)))


def test_null_stream_alarms_at_calibrated_rate(pools):
    """On a stream with no shift, alarms occur at the calibrated rate (binomial tolerance)."""
    clean, _ = pools
    ref = clean[:1000]
    pool = clean[1000:]

    def stat(rows):
        return ks_score(ref, pool[rows])

    alpha = 0.1
    cal = calibrate(stat, np.arange(len(pool)), batch_size=100, n_null=200, alpha=alpha, seed=0)
    # fresh clean batches, independent of the calibration draws
    stream = make_stream(len(pool), len(pool), np.zeros(300), batch_size=100, start=0, seed=7)
    frame = run_stream(stat, stream, cal.threshold)
    k = int(frame["alarm"].sum())
    # two-sided binomial test at 1%: the count is compatible with alpha
    assert stats.binomtest(k, len(frame), alpha).pvalue > 0.01
    assert false_alarm_rate(cal.null, cal.threshold) <= alpha


def test_planted_shift_is_detected_after_start(pools):
    clean, shifted = pools
    ref, pool_clean = clean[:1000], clean[1000:]
    pooled = np.vstack([pool_clean, shifted])

    def stat(rows):
        return ks_score(ref, pooled[rows])

    cal = calibrate(stat, np.arange(len(pool_clean)), batch_size=100, n_null=100, alpha=0.05)
    shares = share_schedule(20, start=10, ramp=5)
    stream = make_stream(len(pool_clean), len(shifted), shares, batch_size=100, start=10, seed=3)
    frame = run_stream(stat, stream, cal.threshold)
    delay = detection_delay(frame, start=10, batch_size=100)
    assert delay["detected"]
    assert delay["batches"] <= 4  # a 1-sd shift in 40 % of the rows is plain
    assert delay["images"] == (delay["batches"] + 1) * 100
    assert frame.loc[frame["batch"] >= 14, "alarm"].all()


def test_detection_delay_undetected_and_errors():
    import pandas as pd

    frame = pd.DataFrame({"batch": range(5), "alarm": [True, False, False, False, False],
                          "n_shifted": [0, 0, 10, 10, 10]})
    d = detection_delay(frame, start=2, batch_size=10)
    assert not d["detected"] and np.isnan(d["batches"]) and d["false_alarms"] == 1
    with pytest.raises(KeyError):
        detection_delay(frame.drop(columns="alarm"), start=2, batch_size=10)


def test_calibrate_refuses_too_few_batches(pools):
    clean, _ = pools
    with pytest.raises(ValueError, match="clean batches"):
        calibrate(lambda r: 0.0, np.arange(100), batch_size=10, n_null=10, alpha=0.05)

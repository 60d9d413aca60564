"""Robust statistics for anomaly detection: median, MAD and the modified z-score.

The modified z-score (Iglewicz and Hoaglin) is 0.6745 × (x − median) / MAD, where MAD is
the median absolute deviation. Unlike a mean/standard-deviation score, one earlier spike in
the baseline barely moves it. When more than half of the baseline is identical (MAD = 0,
typical for someone idle most days), the mean absolute deviation × 1.2533 stands in; when
that is 0 too (a perfectly flat baseline) any rise counts as infinitely unusual and the
absolute floor and the ratio decide.
"""

import math
import statistics

MAD_SCALE = 0.6745
MEAN_AD_SCALE = 1.2533


def robust_z(value: float, baseline: list[float]) -> float:
    if not baseline:
        return 0.0
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    if mad > 0:
        return MAD_SCALE * (value - median) / mad
    mean_ad = statistics.fmean(abs(x - median) for x in baseline)
    if mean_ad > 0:
        return (value - median) / (MEAN_AD_SCALE * mean_ad)
    return math.inf if value > median else 0.0

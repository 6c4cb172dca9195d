"""What the bench scripts share: timing samples, the percentile they report and the staff-style query list.

Imported as `bench.common` by scripts run as `python bench/x.py` from the repo root; each script
puts the repo root on sys.path first (`sys.path.insert(0, str(REPO))`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

# Staff-style queries the HTTP benchmarks cycle through (http_bench.py, robustness.py).
QUERIES: tuple[str, ...] = (
    "山林着火了谁负责", "有人在禁牧区搭圈舍", "低保申请", "学生辍学", "动物防疫", "安全生产检查",
    "流动人口管理", "耕地占用建房", "殡葬改革", "征兵工作", "河道垃圾清理", "食品安全",
    "农村危房改造", "草原防火", "矛盾纠纷调解", "高龄津贴发放", "森林草原防灭火", "环境污染举报",
    "残疾人两项补贴", "农民工工资拖欠", "非法采砂", "燃气安全", "宗教活动场所管理", "义务教育控辍保学",
    "村级财务监督", "地质灾害隐患排查", "秸秆焚烧", "饮用水安全", "退役军人服务", "防汛抗旱",
)


def percentile(values: Iterable[float], pct: float) -> float:
    """The pct-th percentile (pct in 0..100) of `values`, by linear interpolation.

    Same method as numpy.percentile's default (method="linear"): sort the n values, take the
    fractional rank k = (n - 1) * pct / 100 and interpolate between the values at floor(k) and
    floor(k) + 1. The values need not be sorted. NaN when there are none.
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def samples_ms(call: Callable, items: Iterable, rounds: int) -> list[float]:
    """Milliseconds of call(item) for every item, `rounds` passes in order."""
    items = list(items)
    samples = []
    for _ in range(rounds):
        for item in items:
            start = time.perf_counter()
            call(item)
            samples.append((time.perf_counter() - start) * 1000)
    return samples

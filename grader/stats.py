"""Statistics for checks of random functions (dropout, initialisers): bounds whose
false-failure probability is stated, and the verify helper that reports summaries."""

from __future__ import annotations

import math

#: ``-log`` of the false-failure probability of each one-sided statistical bound (e**-25 = 1.4e-11).
LOG_RISK = 25.0


def _kl(q: float, p: float) -> float:
    """Kullback-Leibler divergence between Bernoulli(q) and Bernoulli(p)."""
    out = 0.0
    if q > 0:
        out += q * math.log(q / p)
    if q < 1:
        out += (1 - q) * math.log((1 - q) / (1 - p))
    return out


def binomial_band(n: int, p: float, log_risk: float = LOG_RISK) -> tuple[float, float]:
    """``(lo, hi)`` with ``P(X/n < lo) <= exp(-log_risk)`` and ``P(X/n > hi) <= exp(-log_risk)``
    for ``X ~ Binomial(n, p)`` (Chernoff: ``P(X >= nq) <= exp(-n KL(q || p))`` for ``q > p``,
    and symmetrically below), found by bisection on ``n * KL(q || p) = log_risk``."""
    def edge(inner: float, outer: float) -> float:
        if n * _kl(outer, p) <= log_risk:
            return outer
        for _ in range(100):
            mid = (inner + outer) / 2
            if n * _kl(mid, p) <= log_risk:
                inner = mid
            else:
                outer = mid
        return inner
    return edge(p, 0.0), edge(p, 1.0)


def note_first(summary_check):
    """A ``verify`` that reports a ``"<...>"`` note (an output that could not be summarised)
    before running ``summary_check(got, want, args)``."""
    def verify(got, want, args):
        note = got.get("note") if isinstance(got, dict) else None
        if isinstance(note, str):
            return note[1:-1]
        return summary_check(got, want, args)
    return verify

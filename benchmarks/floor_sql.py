"""SQL fragments the engagement scan's floor (benchmarks/floor.py) is built from."""

from __future__ import annotations

from commissioner.engagement import CADENCE_DAYS

__all__ = ["CADENCE_CASE", "rounded"]


def rounded(numerator: str, denominator: str, places: int = 4) -> str:
    """SQL for Python's `round(numerator / denominator, places)` of two non-negative integer
    expressions (denominator > 0), as an exact numeric. Python rounds the binary value of the
    quotient's float, half to even, so a decimal tie such as 3/480 = 0.00625 goes the way its
    float does (here up: the float is a hair above it) and 1/32 = 0.03125 (exact in binary) to
    the even 0.0312, where numeric's ROUND takes both up. Away from a tie (2·n·10^places / d not
    an odd integer) numeric's ROUND is the answer; at one, the float's exact value — its 53-bit
    integer mantissa over a power of two — decides, compared in numeric."""
    scale = 10**places
    n, d = f"({numerator})", f"({denominator})"
    return f"""(CASE WHEN MOD(2 * {scale} * {n}::numeric, {d}) <> 0
              OR MOD(DIV(2 * {scale} * {n}::numeric, {d}), 2) = 0
         THEN ROUND({n}::numeric / {d}, {places})
         ELSE (SELECT ROUND((r.fl + CASE WHEN 2 * r.rem > r.s THEN 1 WHEN 2 * r.rem < r.s THEN 0
                                         ELSE MOD(r.fl, 2) END) / {scale}.0, {places})
    FROM (SELECT q.s, DIV(q.m * {scale}, q.s) AS fl,
                 q.m * {scale} - DIV(q.m * {scale}, q.s) * q.s AS rem
          FROM (SELECT (t.f * POWER(2::float8, t.k))::bigint::numeric AS m,
                       POWER(2::numeric, t.k::numeric) AS s
                FROM (SELECT {n}::float8 / {d}::float8 AS f,
                             53 - FLOOR(LN({n}::float8 / {d}::float8) / LN(2::float8)) AS k
                     ) t) q) r) END)"""  # noqa: S608 (numerator and denominator: the module's own)


CADENCE_CASE = "CASE g.cadence {} ELSE 91 END".format(
    " ".join(f"WHEN '{name}' THEN {int(days)}" for name, days in CADENCE_DAYS.items())
)

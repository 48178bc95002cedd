"""Tests of :mod:`gamecore.cases.bilevel.enumeration` (the independent bilevel verifier).

Every known optimum below is derived by hand in the docstring / comments of its problem
(the verifier is checked against these derivations, not against library data). Data form:
``F = cx·x + cy·y + ½xᵀHxx x + xᵀHxy y + ½yᵀHyy y`` (no constant term: constants are
subtracted from the hand-derived values), follower ``f = dy·y + xᵀR y + ½yᵀQ y`` s.t.
``Ax x + By y <= b``, ``yl <= y <= yu``; upper level ``Gx x + Gy y <= g``.
"""

from __future__ import annotations

import numpy as np
import pytest

from gamecore.cases.bilevel.enumeration import Verification, VerificationError, verify
from gamecore.cases.bilevel.problem import BilevelProblem

REL = 1e-6


def close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(b))


# ----------------------------------------------------------------------------- problems
def bard_lp() -> BilevelProblem:
    """Textbook linear bilevel program (the classic example of Bard, *Practical Bilevel
    Optimization*, 1998)::

        min_x  x - 4y          s.t. 0 <= x <= 10
        min_y  y   s.t. -x - y <= -3,  -2x + y <= 0,  2x + y <= 12,  3x - 2y <= 4,  y >= 0

    Derivation. The follower minimises y, so y*(x) is the largest lower bound,
    ``y*(x) = max(3 - x, (3x - 4)/2, 0)``, and x is admissible when it does not exceed the
    upper bounds ``2x`` and ``12 - 2x``. ``3 - x >= (3x - 4)/2  <=>  x <= 2``.
      * x in [1, 2]: y = 3 - x (needs 3 - x <= 2x, i.e. x >= 1); F = x - 12 + 4x = 5x - 12,
        best at x = 1: F = -7.
      * x in [2, 4]: y = (3x - 4)/2 (needs 3x - 4 <= 24 - 4x, i.e. x <= 4);
        F = x - 2(3x - 4) = 8 - 5x, best at x = 4: F = -12, y = 4.
      * x < 1 or x > 4: no follower-feasible y.
    Optimum F* = -12 at (x, y) = (4, 4).
    """
    return BilevelProblem(name="bard_lp", source="test", n_x=1, n_y=1, f_star=-12.0,
                          cx=[1], cy=[-4], xl=0, xu=10, dy=[1],
                          Ax=[[-1], [-2], [2], [3]], By=[[-1], [1], [1], [-2]], b=[-3, 0, 12, 4], yl=0)


def degenerate_lp(coupled: bool = False) -> BilevelProblem:
    """Linear problem whose follower has a whole segment of optimal responses::

        min_x  ½x - y1 + 2y2     s.t. 0 <= x <= 2         [coupled: and y2 >= ¼]
        min_y  y1 + y2   s.t. y1 + y2 >= x,  0 <= y1, y2 <= 1

    For x in [0, 2] the follower's optimal set is the segment
    ``S(x) = {y1 + y2 = x, 0 <= y1, y2 <= 1}`` (every point costs the follower x).

    Optimistic (uncoupled): the leader picks the best point of S(x): y1 = min(x, 1),
    y2 = x - y1, so F(x) = ½x - min(x, 1) + 2 max(x - 1, 0) = -½x on [0, 1] and 2.5x - 3 on
    [1, 2]. Optimum F* = -½ at x = 1, y = (1, 0) (unique).
    Pessimistic reading (for contrast): the worst point y2 = min(x, 1), y1 = x - y2 gives
    F = 2.5x on [0, 1] and minimum 0 at x = 0; the "middle" response y1 = y2 = x/2 gives F = x,
    minimum 0 too. So the optimistic answer (-½) differs from both.

    Coupled (y2 >= ¼ at the upper level): the leader picks y2 = max(¼, x - 1), y1 = x - y2
    (needs x >= ¼), so F = -½x + 3 max(¼, x - 1): = ¾ - ½x on [¼, 5/4] (decreasing) and
    2.5x - 3 beyond (increasing). Optimum F* = 1/8 at x = 5/4, y = (1, ¼).
    """
    kw = dict(Gx=[[0]], Gy=[[0, -1]], g=[-0.25]) if coupled else {}
    return BilevelProblem(name="degenerate_lp" + ("_coupled" if coupled else ""), source="test",
                          n_x=1, n_y=2, f_star=0.125 if coupled else -0.5,
                          cx=[0.5], cy=[-1, 2], xl=0, xu=2, dy=[1, 1],
                          Ax=[[1]], By=[[-1, -1]], b=[0], yl=0, yu=1, **kw)


def qp_follower(coupled: bool = False) -> BilevelProblem:
    """Convex-QP follower::

        min_x (x - 2)² + (y - 2)²    s.t. 0 <= x <= 3        [coupled: and x - y <= ½]
        min_y ½(y - x)²   s.t. 0 <= y <= 1

    The follower projects x onto [0, 1]: y*(x) = clip(x, 0, 1) (unique, Q = 1 > 0). In data
    form f = ½y² - x·y (R = -1, the ½x² term dropped) and F = x² - 4x + y² - 4y + 8 with the
    constant 8 dropped.
      * x in [0, 1]: F = 2(x - 2)², decreasing, F(1) = 2.
      * x in [1, 3]: F = (x - 2)² + 1, minimum 1 at x = 2.
    Optimum F* = 1 at (2, 1); stored value 1 - 8 = -7.
    Coupled: x - y <= ½ with y = 1 on [1, 3] restricts x <= 3/2; on [0, 1] it holds
    (x - x = 0) but F >= 2. Minimum of (x - 2)² + 1 on [1, 3/2] is at 3/2: F* = 5/4 at
    (3/2, 1); stored 5/4 - 8 = -6.75. The constraint involves y (a coupled constraint).
    """
    kw = dict(Gx=[[1]], Gy=[[-1]], g=[0.5]) if coupled else {}
    return BilevelProblem(name="qp_follower" + ("_coupled" if coupled else ""), source="test",
                          n_x=1, n_y=1, f_star=-6.75 if coupled else -7.0,
                          cx=[-4], cy=[-4], Hxx=[[2]], Hyy=[[2]], xl=0, xu=3,
                          R=[[-1]], Q=[[1]], yl=0, yu=1, **kw)


def bilinear() -> BilevelProblem:
    """Non-convex leader (bilinear cross term)::

        min_x x² - 3xy    s.t. -1 <= x <= 2
        min_y ½(y - x)²   s.t. 0 <= y <= 1           (y*(x) = clip(x, 0, 1))

    Hessian of F in (x, y) is [[2, -3], [-3, 0]] (determinant -9 < 0: indefinite).
      * x in [-1, 0]: y = 0, F = x² >= 0.
      * x in [0, 1]: y = x, F = -2x², minimum -2 at x = 1.
      * x in [1, 2]: y = 1, F = x² - 3x, minimum -9/4 at x = 3/2.
    Optimum F* = -9/4 at (3/2, 1).
    """
    return BilevelProblem(name="bilinear", source="test", n_x=1, n_y=1, f_star=-2.25,
                          Hxx=[[2]], Hxy=[[-3]], xl=-1, xu=2, R=[[-1]], Q=[[1]], yl=0, yu=1)


def toll() -> BilevelProblem:
    """Toll setting (bilinear F = -toll · flow)::

        min_x -x·y1    s.t. 0 <= x <= 10
        min_y (2 + x) y1 + 5 y2   s.t. y1 + y2 = 1, y >= 0

    The traveller takes the tolled arc (y1 = 1) when 2 + x < 5, the free arc when 2 + x > 5,
    and is indifferent at x = 3, where the optimistic reading lets the leader pick y1 = 1.
    Revenue x·y1 = x on [0, 3], 0 beyond: F* = -3 at x = 3, y = (1, 0). F is not jointly
    convex (Hessian [[0, -1, 0], [-1, 0, 0], [0, 0, 0]]), but x enters the follower only
    through its objective and Hxy = -R, so the B&B applies after the strong-duality
    substitution ``x·y1 = -(e·μ) - dy·y`` on the KKT set.
    """
    return BilevelProblem(name="toll", source="test", n_x=1, n_y=2, f_star=-3.0, Hxy=[[-1, 0]],
                          xl=0, xu=10, dy=[2, 5], R=[[1, 0]], Ey=[[1, 1]], e=[1], yl=0)


def min_of_two() -> BilevelProblem:
    """Two leader variables::

        min_x x1 + x2 - 3y    s.t. 0 <= x1, x2 <= 1
        min_y -y   s.t. y <= x1, y <= x2, y >= 0        (y*(x) = min(x1, x2))

    With x1 <= x2 (the other case is symmetric): F = x2 - 2x1 >= x1 - 2x1 = -x1 >= -1, with
    equality iff x2 = x1 = 1. Optimum F* = -1 at x = (1, 1), y = 1.
    """
    return BilevelProblem(name="min_of_two", source="test", n_x=2, n_y=1, f_star=-1.0,
                          cx=[1, 1], cy=[-3], xl=0, xu=1, dy=[-1],
                          Ax=[[-1, 0], [0, -1]], By=[[1], [1]], b=[0, 0], yl=0)


# ----------------------------------------------------------------------------- tests
def test_bard_linear_optimum() -> None:
    v = verify(bard_lp())
    assert isinstance(v, Verification)
    assert v.method == "complementarity-bb" and v.status == "optimal"
    assert close(v.f_star, -12.0)
    assert np.allclose(v.x, [4.0], atol=1e-7) and np.allclose(v.y, [4.0], atol=1e-7)
    assert v.lower_bound <= v.f_star + 1e-9 and v.nodes_or_points >= 1 and v.wall_s >= 0


def test_degenerate_follower_optimistic_choice() -> None:
    v = verify(degenerate_lp())
    assert v.status == "optimal" and close(v.f_star, -0.5)
    assert np.allclose(v.x, [1.0], atol=1e-7) and np.allclose(v.y, [1.0, 0.0], atol=1e-7)
    # the pessimistic / "middle" responses would give 0 (see the docstring): not this answer
    assert v.f_star < -0.4


def test_degenerate_follower_with_coupled_constraint() -> None:
    v = verify(degenerate_lp(coupled=True))
    assert v.status == "optimal" and close(v.f_star, 0.125)
    assert np.allclose(v.x, [1.25], atol=1e-7) and np.allclose(v.y, [1.0, 0.25], atol=1e-7)


def test_qp_follower() -> None:
    v = verify(qp_follower())
    assert v.status == "optimal" and close(v.f_star, -7.0)
    assert np.allclose(v.x, [2.0], atol=1e-6) and np.allclose(v.y, [1.0], atol=1e-6)


def test_coupled_upper_level_constraint() -> None:
    v = verify(qp_follower(coupled=True))
    assert v.status == "optimal" and close(v.f_star, -6.75)
    assert np.allclose(v.x, [1.5], atol=1e-6) and np.allclose(v.y, [1.0], atol=1e-6)


def test_bilinear_needs_grid() -> None:
    p = bilinear()
    with pytest.raises(VerificationError, match="not jointly convex"):
        verify(p, "bb")
    v = verify(p, "auto", grid_points=201)
    assert v.method == "grid" and v.status == "optimal"
    assert close(v.f_star, -2.25)
    assert np.allclose(v.x, [1.5], atol=1e-6) and np.allclose(v.y, [1.0], atol=1e-6)
    assert v.resolution == pytest.approx((3 / 200,))


def test_toll_setting_by_strong_duality_substitution() -> None:
    p = toll()
    v = verify(p)
    assert v.method == "complementarity-bb" and v.status == "optimal"
    assert "strong-duality substitution" in v.message
    assert close(v.f_star, -3.0)
    assert np.allclose(v.x, [3.0], atol=1e-7) and np.allclose(v.y, [1.0, 0.0], atol=1e-7)
    g = verify(p, "grid", grid_points=101)
    assert close(g.f_star, -3.0)


def test_nonconvex_with_many_leader_variables_is_refused() -> None:
    p = BilevelProblem(name="nc3", source="test", n_x=3, n_y=1, f_star=0.0,
                       Hxy=[[1], [0], [0]], xl=0, xu=1, dy=[1], yl=0, yu=1)
    with pytest.raises(VerificationError):
        verify(p)
    with pytest.raises(VerificationError, match="n_x <= 2"):
        verify(p, "grid")


@pytest.mark.parametrize("make, points", [(bard_lp, 101), (qp_follower, 101), (degenerate_lp, 101),
                                          (min_of_two, 11)])
def test_bb_and_grid_agree_on_convex_problems(make, points) -> None:
    p = make()
    bb = verify(p, "bb")
    grid = verify(p, "grid", grid_points=points)
    assert bb.method == "complementarity-bb" and grid.method == "grid"
    assert bb.status == grid.status == "optimal"
    assert close(bb.f_star, p.f_star) and close(grid.f_star, p.f_star)


def test_infeasible_bilevel_problem() -> None:
    """Follower min y on [0, 1] answers y = 0, but the leader demands y >= ½. The relaxation
    without complementarity is feasible (y = ½ with the lower-bound multiplier 1), so the
    B&B must branch to prove infeasibility."""
    p = BilevelProblem(name="infeasible", source="test", n_x=1, n_y=1, f_star=0.0,
                       cx=[1], cy=[1], xl=0, xu=1, dy=[1], yl=0, yu=1, Gx=[[0]], Gy=[[-1]], g=[-0.5])
    v = verify(p, "bb")
    assert v.status == "infeasible" and v.f_star == np.inf and v.x is None
    assert "infeasible" in v.message
    g = verify(p, "grid", grid_points=51)
    assert g.status == "infeasible" and g.f_star == np.inf


def test_unbounded_bilevel_problem() -> None:
    """Leader min -x over x >= 0 (no upper bound), follower min y s.t. y >= x: y = x, F = -x
    is unbounded below."""
    p = BilevelProblem(name="unbounded", source="test", n_x=1, n_y=1, f_star=0.0,
                       cx=[-1], xl=0, dy=[1], Ax=[[1]], By=[[-1]], b=[0])
    v = verify(p)
    assert v.status == "unbounded" and v.f_star == -np.inf
    with pytest.raises(VerificationError, match="finite leader box"):
        verify(p, "grid")


def test_limits_stop_early() -> None:
    v = verify(bard_lp(), "bb", node_limit=1)
    assert v.status == "limit" and "node limit" in v.message
    assert v.lower_bound <= -12.0 + 1e-9
    v = verify(bard_lp(), "bb", time_limit=0.0)
    assert v.status == "limit" and v.f_star == np.inf
    g = verify(bard_lp(), "grid", time_limit=0.0)
    assert g.status == "limit"


def test_verified_table_is_reproduced_by_the_verifier() -> None:
    """gamecore/cases/bilevel/verified.py is what the verifier computes today, problem by problem."""
    from gamecore.cases.bilevel import linear, quadratic, tp
    from gamecore.cases.bilevel.verified import VERIFIED

    entered = (*linear.PROBLEMS, *quadratic.PROBLEMS, *tp.PROBLEMS)
    assert set(VERIFIED) == {p.name for p in entered}
    for problem in entered:
        value, method, _ = VERIFIED[problem.name]
        result = verify(problem)
        assert result.status == "optimal" and result.method == method, problem.name
        assert result.f_star == pytest.approx(value, rel=1e-8, abs=1e-8), problem.name

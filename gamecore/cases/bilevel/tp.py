"""The TP test problems of the evolutionary bilevel literature with an LP/QP lower level, in the form of
:mod:`gamecore.cases.bilevel.problem`.

Source: A. Sinha, P. Malo, K. Deb, "Efficient evolutionary algorithm for single-objective bilevel optimization",
arXiv:1303.3901, 2013 (BLEAQ), and A. Sinha, P. Malo, K. Deb, "Evolutionary algorithm for bilevel optimization using
approximations of the lower level optimal solution mapping", European J. Operational Research 257(2) (2017)
395-411. The problems (TP1, TP2 and TP4 go back to Shimizu & Aiyoshi 1981, Aiyoshi & Shimizu 1984 and Candler &
Townsley 1982; see each ``source``) were read from the authors' BLEAQ2 MATLAB code
(ulTestProblem.m, llTestProblem.m, the per-problem drivers tpN.m with the variable bounds, and the best known
values in terminationCheck.m); TP6 and TP8 also appear in BOLIB (SinhaMaloDeb2014TP6/TP8).

Entered: TP1, TP2, TP4, TP5, TP6, TP8. Not entered: TP3 (constraints quadratic in x: x1^2 + 2*x2 <= 4 and
x1^2 - 2*x1 + x2^2 - 2*y1 + y2 >= -3), TP7 (fractional leader and follower objectives, quadratic constraint),
TP9/TP10 (non-polynomial follower objectives). The BLEAQ variable bounds (tpN.m) are used as the leader box and
as follower bounds. Conventions as in :mod:`gamecore.cases.bilevel.quadratic`.
"""

from __future__ import annotations

from gamecore.cases.bilevel.problem import BilevelProblem

PROBLEMS: tuple[BilevelProblem, ...] = (
    # TP1 (BLEAQ test set)
    #   min_{x,y}  F = (x1 - 30)^2 + (x2 - 20)^2 - 20*y1 + 20*y2
    #   s.t.       -30 <= x1 <= 30, -30 <= x2 <= 15, -x1 - 2*x2 <= -30, x1 + x2 <= 25
    #              y in argmin_y  f = (x1 - y1)^2 + (x2 - y2)^2
    #                 s.t. 0 <= y1 <= 10, 0 <= y2 <= 10
    BilevelProblem(
        name="TP1",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m); original: K. "
            "Shimizu, E. Aiyoshi, IEEE Trans. Automatic Control 26(2) (1981) 460-466 (= BOLIB "
            "ShimizuAiyoshi1981Ex2)."
        ),
        n_x=2, n_y=2, f_star=-1075.0,
        cx=[-60.0, -40.0],
        cy=[-20.0, 20.0],
        Hxx=[[2.0, 0.0], [0.0, 2.0]],
        Gx=[[-1.0, -2.0], [1.0, 1.0]],
        g=[-30.0, 25.0],
        xl=[-30.0, -30.0],
        xu=[30.0, 15.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        yl=[0.0, 0.0],
        yu=[10.0, 10.0],
        x_star=[20.0, 5.0],
        y_star=[10.0, 5.0],
        notes=(
            "Constant 1300 dropped from F; published optimum = f_star + 1300 = 225. Best known F* = 225 (f* = "
            "100) at x = (20, 5), y = (10, 5). Box -30 <= x1 <= 30, -30 <= x2 <= 15 and 0 <= y <= 10 are the "
            "BLEAQ variable bounds (tp1.m)."
        ),
        tags=("tp", "quadratic"),
    ),
    # TP2 (BLEAQ test set)
    #   min_{x,y}  F = 2*x1 + 2*x2 - 3*y1 - 3*y2 - 60
    #   s.t.       0 <= x1 <= 50, 0 <= x2 <= 50, x1 + x2 + y1 - 2*y2 <= 40
    #              y in argmin_y  f = (y1 - x1 + 20)^2 + (y2 - x2 + 20)^2
    #                 s.t. -x1 + 2*y1 <= -10, -x2 + 2*y2 <= -10, -10 <= y1 <= 20, -10 <= y2 <= 20
    BilevelProblem(
        name="TP2",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m); original: E. "
            "Aiyoshi, K. Shimizu, IEEE Trans. Automatic Control 29 (1984) 1111-1114 (= BOLIB "
            "AiyoshiShimizu1984Ex2)."
        ),
        n_x=2, n_y=2, f_star=60.0,
        cx=[2.0, 2.0],
        cy=[-3.0, -3.0],
        Gx=[[1.0, 1.0]],
        Gy=[[1.0, -2.0]],
        g=[40.0],
        xl=[0.0, 0.0],
        xu=[50.0, 50.0],
        dy=[40.0, 40.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        Ax=[[-1.0, 0.0], [0.0, -1.0]],
        By=[[2.0, 0.0], [0.0, 2.0]],
        b=[-10.0, -10.0],
        yl=[-10.0, -10.0],
        yu=[20.0, 20.0],
        x_star=[0.0, 30.0],
        y_star=[-10.0, 10.0],
        notes=(
            "Constant -60 dropped from F; published optimum = f_star - 60 = 0. Best known F* = 0 (f* = 100); "
            "point x = (0, 30), y = (-10, 10) from the BLEAQ code (also optimal: x = (0, 0), y = (-10, -10), "
            "f = 200). Bounds 0 <= x <= 50, -10 <= y <= 20 from tp2.m. BOLIB lists F* = 5 for the same data "
            "(AiyoshiShimizu1984Ex2), which is not optimal."
        ),
        tags=("tp", "quadratic", "coupled"),
    ),
    # TP4 (BLEAQ test set)
    #   min_{x,y}  F = -8*x1 - 4*x2 + 4*y1 - 40*y2 - 4*y3
    #   s.t.       0 <= x1 <= 1, 0 <= x2 <= 1
    #              y in argmin_y  f = x1 + 2*x2 + y1 + y2 + 2*y3
    #                 s.t. -y1 + y2 + y3 <= 1, 2*x1 - y1 + 2*y2 - 0.5*y3 <= 1,
    #                      2*x2 + 2*y1 - y2 - 0.5*y3 <= 1, 0 <= y1 <= 1, 0 <= y2 <= 1, 0 <= y3 <= 1
    BilevelProblem(
        name="TP4",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m); original: W. "
            "Candler, R. Townsley, A linear two-level programming problem, Computers & Operations Research 9 "
            "(1982) 59-76."
        ),
        n_x=2, n_y=3, f_star=-29.2,
        cx=[-8.0, -4.0],
        cy=[4.0, -40.0, -4.0],
        xl=[0.0, 0.0],
        xu=[1.0, 1.0],
        dy=[1.0, 1.0, 2.0],
        Ax=[[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]],
        By=[[-1.0, 1.0, 1.0], [-1.0, 2.0, -0.5], [2.0, -1.0, -0.5]],
        b=[1.0, 1.0, 1.0],
        yl=[0.0, 0.0, 0.0],
        yu=[1.0, 1.0, 1.0],
        x_star=[0.0, 0.9],
        y_star=[0.0, 0.6, 0.4],
        notes=(
            "Best known F* = -29.2 (f* = 3.2 with the x-terms). The BLEAQ code states the problem in "
            "minimisation form (the original is a maximisation of 8x1 + 4x2 - 4y1 + 40y2 + 4y3). x* = (0, "
            "0.9), y* = (0, 0.6, 0.4) as in BASBLib ct_1982_01 / BOLIB CandlerTownsley1982 (the comment in "
            "the BLEAQ code quotes an inconsistent point). Bounds 0 <= x <= 1, 0 <= y <= 1 are the BLEAQ "
            "variable bounds (tp4.m)."
        ),
        tags=("tp", "linear"),
    ),
    # TP5 (BLEAQ test set)
    #   min_{x,y}  F = 0.1*(x1^2 + x2^2) - 3*y1 - 4*y2 + 0.5*(y1^2 + y2^2)
    #   s.t.       0 <= x1 <= 10, 0 <= x2 <= 10
    #              y in argmin_y  f = 0.5*y'*[[1, 3], [3, 10]]*y + (B*x)'*y, B = [[-1, 2], [3, -3]]
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, 0 <= y1 <= 10, 0 <= y2 <= 10
    BilevelProblem(
        name="TP5",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m)."
        ),
        n_x=2, n_y=2, f_star=-3.6,
        cy=[-3.0, -4.0],
        Hxx=[[0.2, 0.0], [0.0, 0.2]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[0.0, 0.0],
        xu=[10.0, 10.0],
        R=[[-1.0, 3.0], [2.0, -3.0]],
        Q=[[1.0, 3.0], [3.0, 10.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        yu=[10.0, 10.0],
        x_star=[2.0, 0.0],
        y_star=[2.0, 0.0],
        notes=(
            "Best known F* = -3.6 (f* = -2) at x = (2, 0), y = (2, 0). Bounds 0 <= x <= 10, 0 <= y <= 10 are "
            "the BLEAQ variable bounds (tp5.m). Same F and follower Hessian as BOLIB Outrata1990Ex1e, whose "
            "coupling term is -(Bx)'y (opposite sign) and whose x is unbounded."
        ),
        tags=("tp", "quadratic"),
    ),
    # TP6 (BLEAQ test set)
    #   min_{x,y}  F = (x - 1)^2 + 2*y1 - 2*x
    #   s.t.       0 <= x <= 2
    #              y in argmin_y  f = (2*y1 - 4)^2 + (2*y2 - 1)^2 + x*y1
    #                 s.t. 4*x + 5*y1 + 4*y2 <= 12, -4*x - 5*y1 + 4*y2 <= -4, 4*x - 4*y1 + 5*y2 <= 4,
    #                      -4*x + 4*y1 + 5*y2 <= 4, 0 <= y1 <= 2, 0 <= y2 <= 2
    BilevelProblem(
        name="TP6",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m); = BOLIB "
            "SinhaMaloDeb2014TP6."
        ),
        n_x=1, n_y=2, f_star=-2.2091,
        cx=[-4.0],
        cy=[2.0, 0.0],
        Hxx=[[2.0]],
        xl=[0.0],
        xu=[2.0],
        dy=[-16.0, -4.0],
        R=[[1.0, 0.0]],
        Q=[[8.0, 0.0], [0.0, 8.0]],
        Ax=[[4.0], [-4.0], [4.0], [-4.0]],
        By=[[5.0, 4.0], [-5.0, 4.0], [-4.0, 5.0], [4.0, 5.0]],
        b=[12.0, -4.0, 4.0, 4.0],
        yl=[0.0, 0.0],
        yu=[2.0, 2.0],
        x_star=[1.888],
        y_star=[0.888, 0.0],
        notes=(
            "Constant 1 dropped from F; published optimum = f_star + 1 = -1.2091. Best known F* = -1.2091 (f* "
            "= 7.6145; BOLIB: -1.209, 7.615) with x = 1.888, y = (0.888, 0) quoted in the BLEAQ code. The "
            "follower is infeasible for x > 17/9, so the quoted point is rounded; the exact optimum is F = "
            "-98/81 ~ -1.209877 at x = 17/9, y = (8/9, 0) (grid search here), slightly below -1.2091. Bounds "
            "0 <= x <= 2, 0 <= y <= 2 are the BLEAQ variable bounds (tp6.m declares a second, unused "
            "upper-level variable, omitted here). Differs from BASBLib b_1998_07 only in the upper-level term "
            "2*y1 (b_1998_07: 2*y1^2)."
        ),
        tags=("tp", "quadratic", "listed-point-mismatch"),
    ),
    # TP8 (BLEAQ test set)
    #   min_{x,y}  F = (2*x1 + 2*x2 - 3*y1 - 3*y2 - 60)^2
    #   s.t.       0 <= x1 <= 50, 0 <= x2 <= 50, x1 + x2 + y1 - 2*y2 <= 40
    #              y in argmin_y  f = (y1 - x1 + 20)^2 + (y2 - x2 + 20)^2
    #                 s.t. -x1 + 2*y1 <= -10, -x2 + 2*y2 <= -10, -10 <= y1 <= 20, -10 <= y2 <= 20
    BilevelProblem(
        name="TP8",
        source=(
            "A. Sinha, P. Malo, K. Deb, Efficient evolutionary algorithm for single-objective bilevel "
            "optimization, arXiv:1303.3901, 2013 (BLEAQ; also Sinha, Malo, Deb, CEC 2014 and EJOR 257 (2017) "
            "395-411); data as coded in the authors' BLEAQ2 MATLAB code (repository ankurzing/bleaq2: "
            "ulTestProblem.m, llTestProblem.m, tpN.m, best-known values in terminationCheck.m); = BOLIB "
            "SinhaMaloDeb2014TP8 (squared form)."
        ),
        n_x=2, n_y=2, f_star=-3600.0,
        cx=[-240.0, -240.0],
        cy=[360.0, 360.0],
        Hxx=[[8.0, 8.0], [8.0, 8.0]],
        Hxy=[[-12.0, -12.0], [-12.0, -12.0]],
        Hyy=[[18.0, 18.0], [18.0, 18.0]],
        Gx=[[1.0, 1.0]],
        Gy=[[1.0, -2.0]],
        g=[40.0],
        xl=[0.0, 0.0],
        xu=[50.0, 50.0],
        dy=[40.0, 40.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        Ax=[[-1.0, 0.0], [0.0, -1.0]],
        By=[[2.0, 0.0], [0.0, 2.0]],
        b=[-10.0, -10.0],
        yl=[-10.0, -10.0],
        yu=[20.0, 20.0],
        x_star=[0.0, 30.0],
        y_star=[-10.0, 10.0],
        notes=(
            "Constant 3600 dropped from F; published optimum = f_star + 3600 = 0. BLEAQ uses F = |2x1 + 2x2 - "
            "3y1 - 3y2 - 60|; BOLIB and this entry use its square (same minimisers, same optimum 0). Best "
            "known F* = 0 (f* = 100) at x = (0, 30), y = (-10, 10) (also optimal: x = (0, 0), y = (-10, "
            "-10)). Bounds 0 <= x <= 50, -10 <= y <= 20 from tp8.m."
        ),
        tags=("tp", "quadratic", "coupled"),
    ),
)

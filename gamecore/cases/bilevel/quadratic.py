"""Bilevel test problems whose lower level is a convex QP (or an LP with a quadratic leader), in the form of
:mod:`gamecore.cases.bilevel.problem`.

Sources:

* BOLIB (BOLIBver2): S. Zhou, A. B. Zemkoho, A. Tin, "BOLIB: Bilevel Optimization LIBrary of test problems",
  in S. Dempe, A. Zemkoho (eds.), Bilevel Optimization: Advances and Next Challenges, Springer, 2020,
  pp. 563-580; data read from the BOLIBver2 MATLAB m-files and their InfomAllExamp.m list of best known values.
  BOLIB writes every problem in minimisation form.
* BASBLib: R. Paulavicius, C. S. Adjiman, "BASBLib - a library of bilevel test problems", v2.3, 2019,
  doi:10.5281/zenodo.3266835 (QP-QP / LP-QP classes); used for the problems BOLIB does not contain.

Conventions (see ``problem.py``): constants of F are dropped and ``f_star`` is shifted accordingly (the notes give
the published value); terms of f in x alone are dropped; upper-level constraints that bound a single leader
variable are stored as ``xl``/``xu``, single-variable follower constraints as ``yl``/``yu``. Where the source
gives no finite leader box, the notes say how the box was obtained. Every entry keeps the listed optimum; the
tags ``listed-point-mismatch`` (the listed point does not reproduce ``f_star`` or is not feasible/follower-optimal
to the published precision) and ``suspect-not-global`` (a strictly better bilevel-feasible point was found) flag
the discrepancies described in the notes. Problems with an LP follower are in :mod:`gamecore.cases.bilevel.linear`
(also those with a quadratic leader), except the ones with a bilinear leader objective kept here (LucchettiEtal1987,
Yezza1996Ex31, TollSettingP1-P5); the TP set of the evolutionary literature is in :mod:`gamecore.cases.bilevel.tp`.
"""

from __future__ import annotations

from gamecore.cases.bilevel.problem import BilevelProblem

_INF = float("inf")

PROBLEMS: tuple[BilevelProblem, ...] = (
    # AiyoshiShimizu1984Ex2 (BOLIB, = BASBLib as_1984_01)
    #   min_{x,y}  F = 2*x1 + 2*x2 - 3*y1 - 3*y2 - 60
    #   s.t.       0 <= x1 <= 50, 0 <= x2 <= 50, x1 + x2 + y1 - 2*y2 <= 40
    #              y in argmin_y  f = (-x1 + y1 + 20)^2 + (-x2 + y2 + 20)^2
    #                 s.t. -x1 + 2*y1 <= -10, -x2 + 2*y2 <= -10, -10 <= y1 <= 20, -10 <= y2 <= 20
    BilevelProblem(
        name="AiyoshiShimizu1984Ex2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB AiyoshiShimizu1984Ex2; original: E. Aiyoshi, K. Shimizu, A solution method for the "
            "static constrained Stackelberg problem via penalty method, IEEE Trans. Automatic Control 29 "
            "(1984) 1111-1114; also BASBLib as_1984_01."
        ),
        n_x=2, n_y=2, f_star=65.0,
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
        x_star=[25.0, 30.0],
        y_star=[5.0, 10.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 5, f* = 0). Constant -60 dropped from F; "
            "published optimum = f_star - 60 = 5. Same problem as BASBLib as_1984_01 (LP-QP). Same data as "
            "TP2 of the BLEAQ set (tp.py). The listed point (x, y) = (25, 30, 5, 10) is feasible and "
            "follower-optimal with F = 5, but it is not the optimistic optimum: (0, 0, -10, -10) is feasible "
            "with F = 0 (BOLIB calls it a local solution; BASBLib as_1984_01 and BLEAQ TP2 list F* = 0)."
        ),
        tags=("quadratic", "coupled", "suspect-not-global"),
    ),
    # Bard1988Ex1 (BOLIB, = BASBLib b_1988_01)
    #   min_{x,y}  F = (x - 5)^2 + (2*y + 1)^2
    #   s.t.       0 <= x <= 5
    #              y in argmin_y  f = -3*x*y/2 + (y - 1)^2
    #                 s.t. -3*x + y <= -3, x - 0.5*y <= 4, x + y <= 7, y >= 0
    BilevelProblem(
        name="Bard1988Ex1",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Bard1988Ex1; original: J. F. Bard, Convex two-level optimization, Mathematical "
            "Programming 40 (1988) 15-27; also BASBLib b_1988_01."
        ),
        n_x=1, n_y=1, f_star=-9.0,
        cx=[-10.0],
        cy=[4.0],
        Hxx=[[2.0]],
        Hyy=[[8.0]],
        xl=[0.0],
        xu=[5.0],
        dy=[-2.0],
        R=[[-1.5]],
        Q=[[2.0]],
        Ax=[[-3.0], [1.0], [1.0]],
        By=[[1.0], [-0.5], [1.0]],
        b=[-3.0, 4.0, 7.0],
        yl=[0.0],
        x_star=[1.0],
        y_star=[0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 17, f* = 1). Constant 26 dropped from F; "
            "published optimum = f_star + 26 = 17. Leader bounds -0 <= x1 <= 5 derived by LP from the upper- "
            "and lower-level constraints (implied, not in the source). Same problem as BASBLib b_1988_01 "
            "(QP-QP)."
        ),
        tags=("quadratic",),
    ),
    # Bard1988Ex2 (BOLIB, = BASBLib as_1981_01)
    #   min_{x,y}  F = (y1 + y3)*(y1 + y3 - 200) + (y2 + y4)*(y2 + y4 - 160)
    #   s.t.       0 <= x1 <= 10, 0 <= x2 <= 5, 0 <= x3 <= 15, 0 <= x4 <= 20, x1 + x2 + x3 + x4 <= 40
    #              y in argmin_y  f = (y1 - 4)^2 + (y2 - 13)^2 + (y3 - 35)^2 + (y4 - 2)^2
    #                 s.t. -x1 + 0.4*y1 + 0.7*y2 <= 0, -x2 + 0.6*y1 + 0.3*y2 <= 0,
    #                      -x3 + 0.4*y3 + 0.7*y4 <= 0, -x4 + 0.6*y3 + 0.3*y4 <= 0, 0 <= y1 <= 20,
    #                      0 <= y2 <= 20, 0 <= y3 <= 40, 0 <= y4 <= 40
    BilevelProblem(
        name="Bard1988Ex2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Bard1988Ex2; original: J. F. Bard, Convex two-level optimization, Mathematical "
            "Programming 40 (1988) 15-27; also BASBLib as_1981_01."
        ),
        n_x=4, n_y=4, f_star=-6600.0,
        cy=[-200.0, -160.0, -200.0, -160.0],
        Hyy=[[2.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.0, 2.0], [2.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.0, 2.0]],
        Gx=[[1.0, 1.0, 1.0, 1.0]],
        g=[40.0],
        xl=[0.0, 0.0, 0.0, 0.0],
        xu=[10.0, 5.0, 15.0, 20.0],
        dy=[-8.0, -26.0, -70.0, -4.0],
        Q=[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]],
        Ax=[[-1.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.0, 0.0, 0.0, -1.0]],
        By=[[0.4, 0.7, 0.0, 0.0], [0.6, 0.3, 0.0, 0.0], [0.0, 0.0, 0.4, 0.7], [0.0, 0.0, 0.6, 0.3]],
        b=[0.0, 0.0, 0.0, 0.0],
        yl=[0.0, 0.0, 0.0, 0.0],
        yu=[20.0, 20.0, 40.0, 40.0],
        x_star=[7.0, 3.0, 12.0, 18.0],
        y_star=[0.0, 10.0, 30.0, 0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = -6600, f* = 54). Same problem as BASBLib "
            "as_1981_01 (QP-QP). Single-follower version from Colson (BIPA); x*, y* are BASBLib's (BOLIB "
            "gives only the values). The original problem of Bard (1988) is a maximisation; BOLIB states it "
            "in minimisation form."
        ),
        tags=("quadratic",),
    ),
    # CalamaiVicente1994b (BOLIB)
    #   min_{x,y}  F = y1^2/2 + y2^2/2 + (x1 - 1)^2/2 + (x2 - 1)^2/2 + (x3 - 1)^2/2 + (x4 - 1)^2/2
    #   s.t.       -1 <= x1 <= 1.25, -1 <= x2 <= 2, -1 <= x3 <= 3, -1 <= x4 <= 3
    #              y in argmin_y  f = -x1*y1 - x2*y2 + y1^2/2 + y2^2/2
    #                 s.t. x1 - y1 <= 1, x2 - y2 <= 1, x1 + y1 <= 1.5, x2 + y2 <= 3, -x1 - y1 <= -1,
    #                      -x2 - y2 <= -1
    BilevelProblem(
        name="CalamaiVicente1994b",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB CalamaiVicente1994b; original: P. H. Calamai, L. N. Vicente, Generating quadratic "
            "bilevel programming test problems, ACM Trans. Mathematical Software 20(1) (1994) 103-119."
        ),
        n_x=4, n_y=2, f_star=-1.6875,
        cx=[-1.0, -1.0, -1.0, -1.0],
        Hxx=[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-1.0, -1.0, -1.0, -1.0],
        xu=[1.25, 2.0, 3.0, 3.0],
        R=[[-1.0, 0.0], [0.0, -1.0], [0.0, 0.0], [0.0, 0.0]],
        Q=[[1.0, 0.0], [0.0, 1.0]],
        Ax=[[1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, -1.0, 0.0, 0.0]],
        By=[[-1.0, 0.0], [0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]],
        b=[1.0, 1.0, 1.5, 3.0, -1.0, -1.0],
        x_star=[1.25, 0.5, 1.0, 1.0],
        y_star=[0.25, 0.5],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0.3125, f* = -0.4063). Constant 2 dropped from F; "
            "published optimum = f_star + 2 = 0.3125. Leader box added (the source gives none): F >= 0.5*||x "
            "- 1||^2 and F* = 0.3125 give |x_i - 1| <= 0.8 at any optimum; box [-1, 3] (x1 <= 1.25, x2 <= 2 "
            "are implied by the follower constraints)."
        ),
        tags=("quadratic",),
    ),
    # CalamaiVicente1994c (BOLIB)
    #   min_{x,y}  F = x1*(986*x1/5 + 162*x2/5 - 648*x3/5 - 216*x4/5)/2 - 214*x1/25 + x2*(162*x1/5 + 554*x2/5 -
    #                  216*x3/5 - 72*x4/5)/2 - 238*x2/25 - x3*(648*x1/5 + 216*x2/5 - 1514*x3/5 + 162*x4/5)/2 -
    #                  248*x3/25 - x4*(216*x1/5 + 72*x2/5 + 162*x3/5 - 1946*x4/5)/2 - 416*x4/25 + 50*y1^2 + 50*y2^2
    #                  + 2
    #   s.t.       -1 <= x1 <= 1, -1 <= x2 <= 1, -1 <= x3 <= 1, -1 <= x4 <= 1
    #              y in argmin_y  f = 50*y1^2 - y1*(662*x1/5 + 54*x2/5 - 216*x3/5 - 72*x4/5) + 50*y2^2 - y2*(54*x1/5
    #                                 + 518*x2/5 - 72*x3/5 - 24*x4/5)
    #                 s.t. 13.24*x1 + 1.08*x2 - 4.32*x3 - 1.44*x4 - 10*y1 <= 1,
    #                      1.08*x1 + 10.36*x2 - 1.44*x3 - 0.48*x4 - 10*y2 <= 1,
    #                      13.24*x1 + 1.08*x2 - 4.32*x3 - 1.44*x4 + 10*y1 <= 1.5,
    #                      1.08*x1 + 10.36*x2 - 1.44*x3 - 0.48*x4 + 10*y2 <= 3,
    #                      -13.24*x1 - 1.08*x2 + 4.32*x3 + 1.44*x4 - 10*y1 <= -1,
    #                      -1.08*x1 - 10.36*x2 + 1.44*x3 + 0.48*x4 - 10*y2 <= -1
    BilevelProblem(
        name="CalamaiVicente1994c",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB CalamaiVicente1994c; original: P. H. Calamai, L. N. Vicente, Generating quadratic "
            "bilevel programming test problems, ACM Trans. Mathematical Software 20(1) (1994) 103-119."
        ),
        n_x=4, n_y=2, f_star=-1.6875,
        cx=[-8.56, -9.52, -9.92, -16.64],
        Hxx=[[197.2, 32.4, -129.6, -43.2],
             [32.4, 110.8, -43.2, -14.4],
             [-129.6, -43.2, 302.8, -32.4],
             [-43.2, -14.4, -32.4, 389.2]],
        Hyy=[[100.0, 0.0], [0.0, 100.0]],
        xl=[-1.0, -1.0, -1.0, -1.0],
        xu=[1.0, 1.0, 1.0, 1.0],
        R=[[-132.4, -10.8], [-10.8, -103.6], [43.2, 14.4], [14.4, 4.8]],
        Q=[[100.0, 0.0], [0.0, 100.0]],
        Ax=[[13.24, 1.08, -4.32, -1.44],
            [1.08, 10.36, -1.44, -0.48],
            [13.24, 1.08, -4.32, -1.44],
            [1.08, 10.36, -1.44, -0.48],
            [-13.24, -1.08, 4.32, 1.44],
            [-1.08, -10.36, 1.44, 0.48]],
        By=[[-10.0, 0.0], [0.0, -10.0], [10.0, 0.0], [0.0, 10.0], [-10.0, 0.0], [0.0, -10.0]],
        b=[1.0, 1.0, 1.5, 3.0, -1.0, -1.0],
        x_star=[0.13085, 0.05195, 0.1022, 0.0674],
        y_star=[0.025, 0.05],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0.3125, f* = -0.4063). Constant 2 dropped from F; "
            "published optimum = f_star + 2 = 0.3125. Leader box added (the source gives none): F >= q(x) + 2 "
            "with q strongly convex (Hessian eigenvalues >= 100, min q + 2 = 0), so F <= 0.3125 forces ||x - "
            "xhat|| <= 0.08 with xhat ~ (0.107, 0.102, 0.100, 0.067); box [-1, 1]^4."
        ),
        tags=("quadratic",),
    ),
    # ClarkWesterberg1990a (BOLIB, = BASBLib cw_1990_02)
    #   min_{x,y}  F = (x - 3)^2 + (y - 2)^2
    #   s.t.       0 <= x <= 8
    #              y in argmin_y  f = (y - 5)^2
    #                 s.t. -2*x + y <= 1, x - 2*y <= -2, x + 2*y <= 14
    BilevelProblem(
        name="ClarkWesterberg1990a",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB ClarkWesterberg1990a; original: P. A. Clark, A. W. Westerberg, Bilevel programming "
            "for steady-state chemical process design - I. Fundamentals and algorithms, Computers & Chemical "
            "Engineering 14(1) (1990) 87-97; also BASBLib cw_1990_02."
        ),
        n_x=1, n_y=1, f_star=-8.0,
        cx=[-6.0],
        cy=[-4.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        xl=[0.0],
        xu=[8.0],
        dy=[-10.0],
        Q=[[2.0]],
        Ax=[[-2.0], [1.0], [1.0]],
        By=[[1.0], [-2.0], [2.0]],
        b=[1.0, -2.0, 14.0],
        x_star=[1.0],
        y_star=[3.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 5, f* = 4). Constant 13 dropped from F; published "
            "optimum = f_star + 13 = 5. Same problem as BASBLib cw_1990_02 (QP-QP)."
        ),
        tags=("quadratic",),
    ),
    # Colson2002BIPA2 (BOLIB)
    #   min_{x,y}  F = (x - 5)^2 + (2*y + 1)^2
    #   s.t.       0 <= x <= 5
    #              y in argmin_y  f = x^3 - 3*x*y/2 + (y - 1)^2
    #                 s.t. -3*x + y <= -3, x - 0.5*y <= 4, x + y <= 7, y >= 0
    BilevelProblem(
        name="Colson2002BIPA2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Colson2002BIPA2; original: B. Colson, BIPA (BIlevel Programming with Approximation "
            "methods): software guide and test problems, technical report, 2002."
        ),
        n_x=1, n_y=1, f_star=-9.0,
        cx=[-10.0],
        cy=[4.0],
        Hxx=[[2.0]],
        Hyy=[[8.0]],
        xl=[0.0],
        xu=[5.0],
        dy=[-2.0],
        R=[[-1.5]],
        Q=[[2.0]],
        Ax=[[-3.0], [1.0], [1.0]],
        By=[[1.0], [-0.5], [1.0]],
        b=[-3.0, 4.0, 7.0],
        yl=[0.0],
        x_star=[1.0],
        y_star=[0.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = 17, f* = 2). Constant 26 dropped "
            "from F; published optimum = f_star + 26 = 17. Leader bounds -0 <= x1 <= 5 derived by LP from the "
            "upper- and lower-level constraints (implied, not in the source). The follower objective contains "
            "x^3 (an x-only term, dropped); after dropping it the data equal Bard1988Ex1. BOLIB's f* = 2 "
            "includes x^3 = 1."
        ),
        tags=("quadratic",),
    ),
    # DeSilva1978 (BOLIB, = BASBLib d_1978_01)
    #   min_{x,y}  F = y1^2 + y2^2 + (x1 - 1)^2 + (x2 - 1)^2 - 2
    #   s.t.       -1 <= x1 <= 3, -1 <= x2 <= 3
    #              y in argmin_y  f = (x1 - y1)^2 + (x2 - y2)^2
    #                 s.t. 0.5 <= y1 <= 1.5, 0.5 <= y2 <= 1.5
    BilevelProblem(
        name="DeSilva1978",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB DeSilva1978; original: A. H. De Silva, Sensitivity formulas for nonlinear factorable "
            "programming and their application to the solution of an implicitly defined optimization model of "
            "US crude oil production, PhD thesis, George Washington University, 1978; also BASBLib d_1978_01."
        ),
        n_x=2, n_y=2, f_star=-1.0,
        cx=[-2.0, -2.0],
        Hxx=[[2.0, 0.0], [0.0, 2.0]],
        Hyy=[[2.0, 0.0], [0.0, 2.0]],
        xl=[-1.0, -1.0],
        xu=[3.0, 3.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        yl=[0.5, 0.5],
        yu=[1.5, 1.5],
        x_star=[0.5, 0.5],
        y_star=[0.5, 0.5],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = -1, f* = 0). Leader box added (the source gives "
            "none): F >= ||x - 1||^2 - 1.5 (since y >= 0.5) and F* = -1 give ||x - 1|| <= 0.71; box [-1, "
            "3]^2. Same problem as BASBLib d_1978_01 (QP-QP)."
        ),
        tags=("quadratic",),
    ),
    # FalkLiu1995 (BOLIB, = BASBLib fl_1995_01)
    #   min_{x,y}  F = y1^2 + y2^2 + (x1 - 3/2)^2 + (x2 - 3/2)^2 - 9/2
    #   s.t.       0 <= x1 <= 3, 0 <= x2 <= 3
    #              y in argmin_y  f = (x1 - y1)^2 + (x2 - y2)^2
    #                 s.t. 0.5 <= y1 <= 1.5, 0.5 <= y2 <= 1.5
    BilevelProblem(
        name="FalkLiu1995",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB FalkLiu1995; original: J. E. Falk, J. Liu, On bilevel programming, Part I: general "
            "nonlinear cases, Mathematical Programming 70(1) (1995) 47-72; also BASBLib fl_1995_01."
        ),
        n_x=2, n_y=2, f_star=-2.1962,
        cx=[-3.0, -3.0],
        Hxx=[[2.0, 0.0], [0.0, 2.0]],
        Hyy=[[2.0, 0.0], [0.0, 2.0]],
        xl=[0.0, 0.0],
        xu=[3.0, 3.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        yl=[0.5, 0.5],
        yu=[1.5, 1.5],
        x_star=[1.5, 1.5],
        y_star=[1.5, 1.5],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = -2.1962, f* = 0). Leader box added (the source "
            "gives none): F >= ||x - 1.5||^2 - 4 (since y >= 0.5) and F* <= -2.1962 give ||x - 1.5|| <= 1.35; "
            "box [0, 3]^2. Same problem as BASBLib fl_1995_01 (QP-QP). The listed point (1.5, 1.5, 1.5, 1.5) "
            "gives F = 0, not -2.1962. The optimistic optimum is F = -2.25 at x = y = (0.75, 0.75) (BASBLib "
            "fl_1995_01 lists F* = -2.25)."
        ),
        tags=("quadratic", "listed-point-mismatch", "suspect-not-global"),
    ),
    # FloudasEtal2013 (BOLIB)
    #   min_{x,y}  F = 2*x1 + 2*x2 - 3*y1 - 3*y2 - 60
    #   s.t.       0 <= x1 <= 50, 0 <= x2 <= 50
    #              y in argmin_y  f = (-x1 + y1 + 20)^2 + (-x2 + y2 + 20)^2
    #                 s.t. -x1 + 2*y1 <= -10, -x2 + 2*y2 <= -10, x1 + x2 + y1 - 2*y2 <= 40,
    #                      -10 <= y1 <= 20, -10 <= y2 <= 20
    BilevelProblem(
        name="FloudasEtal2013",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB FloudasEtal2013; original: C. A. Floudas et al., Handbook of Test Problems in Local "
            "and Global Optimization, Kluwer, 1999 (Springer reprint 2013)."
        ),
        n_x=2, n_y=2, f_star=60.0,
        cx=[2.0, 2.0],
        cy=[-3.0, -3.0],
        xl=[0.0, 0.0],
        xu=[50.0, 50.0],
        dy=[40.0, 40.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        Ax=[[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]],
        By=[[2.0, 0.0], [0.0, 2.0], [1.0, -2.0]],
        b=[-10.0, -10.0, 40.0],
        yl=[-10.0, -10.0],
        yu=[20.0, 20.0],
        x_star=[0.0, 0.0],
        y_star=[-10.0, -10.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0, f* = 200). Constant -60 dropped from F; "
            "published optimum = f_star - 60 = 0."
        ),
        tags=("quadratic",),
    ),
    # GumusFloudas2001Ex4 (BOLIB, = BASBLib sc_1998_01)
    #   min_{x,y}  F = (x - 3)^2 + (y - 2)^2
    #   s.t.       0 <= x <= 8, -2*x + y <= 1, x - 2*y <= -2, x + 2*y <= 14
    #              y in argmin_y  f = (y - 5)^2
    #                 s.t. 0 <= y <= 10
    BilevelProblem(
        name="GumusFloudas2001Ex4",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB GumusFloudas2001Ex4; original: Z. H. Gumus, C. A. Floudas, Global optimization of "
            "nonlinear bilevel programming problems, J. Global Optimization 20(1) (2001) 1-31; also BASBLib "
            "sc_1998_01."
        ),
        n_x=1, n_y=1, f_star=-4.0,
        cx=[-6.0],
        cy=[-4.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        Gx=[[-2.0], [1.0], [1.0]],
        Gy=[[1.0], [-2.0], [2.0]],
        g=[1.0, -2.0, 14.0],
        xl=[0.0],
        xu=[8.0],
        dy=[-10.0],
        Q=[[2.0]],
        yl=[0.0],
        yu=[10.0],
        x_star=[3.0],
        y_star=[5.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 9, f* = 0). Constant 13 dropped from F; published "
            "optimum = f_star + 13 = 9. Same problem as BASBLib sc_1998_01 (QP-QP)."
        ),
        tags=("quadratic", "coupled"),
    ),
    # HatzEtal2013 (BOLIB)
    #   min_{x,y}  F = -x + 2*y1 + y2
    #   s.t.       -10 <= x <= 10
    #              y in argmin_y  f = y2^2 + (x - y1)^2
    #                 s.t. y1 >= 0, y2 >= 0
    BilevelProblem(
        name="HatzEtal2013",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB HatzEtal2013; original: K. Hatz, S. Leyffer, J. P. Schloeder, H. G. Bock, "
            "Regularizing bilevel nonlinear programs by lifting, preprint, Argonne National Laboratory, 2013."
        ),
        n_x=1, n_y=2, f_star=0.0,
        cx=[-1.0],
        cy=[2.0, 1.0],
        xl=[-10.0],
        xu=[10.0],
        R=[[-2.0, 0.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        yl=[0.0, 0.0],
        x_star=[0.0],
        y_star=[0.0, 0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0, f* = 0). Leader box added (the source gives "
            "none): on the bilevel-feasible set y = (max(x, 0), 0), so F = |x| >= 0 = F*; box [-10, 10]."
        ),
        tags=("quadratic",),
    ),
    # HendersonQuandt1958 (BOLIB)
    #   min_{x,y}  F = x*(x/2 + y/2 - 95)
    #   s.t.       0 <= x <= 200
    #              y in argmin_y  f = y*(x/2 + y - 100)
    #                 s.t. y >= 0
    BilevelProblem(
        name="HendersonQuandt1958",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB HendersonQuandt1958; original: J. M. Henderson, R. E. Quandt, Microeconomic Theory: "
            "a Mathematical Approach, McGraw-Hill, New York, 1958."
        ),
        n_x=1, n_y=1, f_star=-3266.67,
        cx=[-95.0],
        Hxx=[[1.0]],
        Hxy=[[0.5]],
        xl=[0.0],
        xu=[200.0],
        dy=[-100.0],
        R=[[0.5]],
        Q=[[2.0]],
        yl=[0.0],
        x_star=[93.33333],
        y_star=[26.667],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -3266.67, f* = -711.11). The "
            "Hessian of F is indefinite (x*y term); Hxx and Hyy are PSD."
        ),
        tags=("quadratic",),
    ),
    # HenrionSurowiec2011 (BOLIB)
    #   min_{x,y}  F = x^2
    #   s.t.       -10 <= x <= 10
    #              y in argmin_y  f = -y*(x - y/2)
    BilevelProblem(
        name="HenrionSurowiec2011",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB HenrionSurowiec2011; original: R. Henrion, T. Surowiec, On calmness conditions in "
            "convex bilevel programming, Applicable Analysis 90(6) (2011) 951-970."
        ),
        n_x=1, n_y=1, f_star=0.0,
        Hxx=[[2.0]],
        xl=[-10.0],
        xu=[10.0],
        R=[[-1.0]],
        Q=[[1.0]],
        x_star=[0.0],
        y_star=[0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0, f* = 0). Leader box added (the source gives "
            "none): F = x^2 >= 0 = F* (c = 0); box [-10, 10]. Parameter c = 0 (BOLIB default): F = x^2 + c*y, "
            "F* = -c^2/4."
        ),
        tags=("quadratic",),
    ),
    # LamparielloSagratella2017Ex32 (BOLIB)
    #   min_{x,y}  F = x^2 + y^2
    #   s.t.       -10 <= x <= 10
    #              y in argmin_y  f = (x + y - 1)^2
    BilevelProblem(
        name="LamparielloSagratella2017Ex32",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB LamparielloSagratella2017Ex32; original: L. Lampariello, S. Sagratella, A bridge "
            "between bilevel programs and Nash games, J. Optimization Theory and Applications 174(2) (2017) "
            "613-635."
        ),
        n_x=1, n_y=1, f_star=0.5,
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        xl=[-10.0],
        xu=[10.0],
        dy=[-2.0],
        R=[[2.0]],
        Q=[[2.0]],
        x_star=[0.5],
        y_star=[0.5],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0.5, f* = 0). Leader box added (the source gives "
            "none): F >= x^2 and F* = 0.5 give |x| <= 0.71; box [-10, 10]."
        ),
        tags=("quadratic",),
    ),
    # LucchettiEtal1987 (BOLIB, = BASBLib lmp_1987_01)
    #   min_{x,y}  F = x*y - x/2 + 1/2
    #   s.t.       0 <= x <= 1
    #              y in argmin_y  f = y*(x - 1)
    #                 s.t. 0 <= y <= 1
    BilevelProblem(
        name="LucchettiEtal1987",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB LucchettiEtal1987; original: R. Lucchetti, F. Mignanego, G. Pieri, Existence "
            "theorems of equilibrium points in Stackelberg games with constraints, Optimization 18(6) (1987) "
            "857-866; also BASBLib lmp_1987_01."
        ),
        n_x=1, n_y=1, f_star=-0.5,
        cx=[-0.5],
        Hxy=[[1.0]],
        xl=[0.0],
        xu=[1.0],
        dy=[-1.0],
        R=[[1.0]],
        yl=[0.0],
        yu=[1.0],
        x_star=[1.0],
        y_star=[0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0, f* = 0). Constant 0.5 dropped from F; "
            "published optimum = f_star + 0.5 = 0. Same problem as BASBLib lmp_1987_01 (QP-QP). Bilinear F "
            "(x*y term)."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # MacalHurter1997 (BOLIB, = BASBLib b_1998_04)
    #   min_{x,y}  F = (x - 1)^2 + (y - 1)^2
    #   s.t.       -100 <= x <= 100
    #              y in argmin_y  f = -50*x*y + y^2/2 + 500*y
    BilevelProblem(
        name="MacalHurter1997",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB MacalHurter1997; original: C. M. Macal, A. P. Hurter, Dependence of bilevel "
            "mathematical programs on irrelevant constraints, Computers & Operations Research 24(12) (1997) "
            "1129-1140; also BASBLib b_1998_04."
        ),
        n_x=1, n_y=1, f_star=79.327,
        cx=[-2.0],
        cy=[-2.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        xl=[-100.0],
        xu=[100.0],
        dy=[500.0],
        R=[[-50.0]],
        Q=[[1.0]],
        x_star=[10.0163],
        y_star=[0.8197],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 81.327, f* = -0.333). Constant 2 dropped from F; "
            "published optimum = f_star + 2 = 81.327. Leader box added (the source gives none): F >= (x - "
            "1)^2 and F* ~ 81.33 give |x - 1| <= 9.02; box [-100, 100] as in BASBLib b_1998_04. Same problem "
            "as BASBLib b_1998_04 (QP-QP). Listed values are rounded: the listed y* = 0.8197 is not the exact "
            "follower response at the listed x* = 10.0163 (that is 0.815); the exact optimum is F ~ 81.3278 "
            "at x ~ 10.01639, y ~ 0.8197."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # MuuQuy2003Ex1 (BOLIB)
    #   min_{x,y}  F = x^2 - 4*x + y1^2 + y2^2
    #   s.t.       0 <= x <= 2
    #              y in argmin_y  f = y1^2 + y1*y2 - y1*(3*x - 1) + y2^2/2 + y2*(x + 1)
    #                 s.t. -2*x + 2*y1 + y2 <= 1, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="MuuQuy2003Ex1",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB MuuQuy2003Ex1; original: L. D. Muu, N. V. Quy, A global optimization method for "
            "solving convex quadratic bilevel programming problems, J. Global Optimization 26(2) (2003) "
            "199-219."
        ),
        n_x=1, n_y=2, f_star=-2.0769,
        cx=[-4.0],
        Hxx=[[2.0]],
        Hyy=[[2.0, 0.0], [0.0, 2.0]],
        xl=[0.0],
        xu=[2.0],
        dy=[1.0, 1.0],
        R=[[-3.0, 1.0]],
        Q=[[2.0, 1.0], [1.0, 1.0]],
        Ax=[[-2.0]],
        By=[[2.0, 1.0]],
        b=[1.0],
        yl=[0.0, 0.0],
        x_star=[0.8438],
        y_star=[0.7657, 0.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -2.0769, f* = -0.5868). Listed "
            "point is rounded; the optimum is F ~ -2.07692 at x ~ 0.8462, y ~ (0.7692, 0)."
        ),
        tags=("quadratic",),
    ),
    # MuuQuy2003Ex2 (BOLIB)
    #   min_{x,y}  F = -7*x1 + 4*x2 + y1^2 - y1*y3 - 4*y2 + y3^2
    #   s.t.       0 <= x1 <= 1, 0 <= x2 <= 1, x1 + x2 <= 1
    #              y in argmin_y  f = y1^2 + y1*y2 - y1*(3*x1 - 1) + y2^2/2 + y2*(x2 + 1) + y3^2/2
    #                 s.t. x1 - 2*x2 + 2*y1 + y2 - y3 <= -2, y1 >= 0, y2 >= 0, y3 >= 0
    BilevelProblem(
        name="MuuQuy2003Ex2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB MuuQuy2003Ex2; original: L. D. Muu, N. V. Quy, A global optimization method for "
            "solving convex quadratic bilevel programming problems, J. Global Optimization 26(2) (2003) "
            "199-219."
        ),
        n_x=2, n_y=3, f_star=0.6426,
        cx=[-7.0, 4.0],
        cy=[0.0, -4.0, 0.0],
        Hyy=[[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 2.0]],
        Gx=[[1.0, 1.0]],
        g=[1.0],
        xl=[0.0, 0.0],
        xu=[1.0, 1.0],
        dy=[1.0, 1.0, 0.0],
        R=[[-3.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        Q=[[2.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        Ax=[[1.0, -2.0]],
        By=[[2.0, 1.0, -1.0]],
        b=[-2.0],
        yl=[0.0, 0.0, 0.0],
        x_star=[0.609, 0.391],
        y_star=[0.0, 0.0, 1.828],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = 0.6426, f* = 1.6708). Leader "
            "bounds -0 <= x1 <= 1; -0 <= x2 <= 1 derived by LP from the upper- and lower-level constraints "
            "(implied, not in the source). The listed y* = (0, 0, 1.828) is not the follower's exact response "
            "at the listed x* (gap 1.8e-3) and F(x*, y*) = 0.6426 is not reproduced: with the exact response "
            "F = 0.639 there. On x1 + x2 = 1 the follower answers y = (0, 0, 3*x1), F = 9*x1^2 - 11*x1 + 4, "
            "minimal at x = (11/18, 7/18): F = 23/36 ~ 0.63889 < 0.6426."
        ),
        tags=("quadratic", "listed-point-mismatch", "suspect-not-global"),
    ),
    # Outrata1990Ex1a (BOLIB)
    #   min_{x,y}  F = x1^2/10 + x2^2/10 + (y1 - 3)^2/2 + (y2 - 4)^2/2 - 25/2
    #   s.t.       -10 <= x1 <= 10, -10 <= x2 <= 10
    #              y in argmin_y  f = -x1*y1 - x2*y2 + y1*(y1 - 2*y2)/2 - y2*(2*y1 - 5*y2)/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex1a",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex1a; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=2, n_y=2, f_star=-8.92,
        cy=[-3.0, -4.0],
        Hxx=[[0.2, 0.0], [0.0, 0.2]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-10.0, -10.0],
        xu=[10.0, 10.0],
        R=[[-1.0, 0.0], [0.0, -1.0]],
        Q=[[1.0, -2.0], [-2.0, 5.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[0.97, 3.14],
        y_star=[2.6, 1.8],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -8.92, f* = -6.05). Leader box "
            "added (the source gives none): F >= 0.1*||x||^2 - 12.5 and F* = -8.92 give ||x|| <= 6.0; box "
            "[-10, 10]^2. Listed values are rounded (2 decimals); the listed y* violates a follower "
            "constraint by 6e-4."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # Outrata1990Ex1b (BOLIB)
    #   min_{x,y}  F = x1^2 + x2^2 + (y1 - 3)^2/2 + (y2 - 4)^2/2 - 25/2
    #   s.t.       -10 <= x1 <= 10, -10 <= x2 <= 10
    #              y in argmin_y  f = -x1*y1 - x2*y2 + y1*(y1 - 2*y2)/2 - y2*(2*y1 - 5*y2)/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex1b",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex1b; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=2, n_y=2, f_star=-7.56,
        cy=[-3.0, -4.0],
        Hxx=[[2.0, 0.0], [0.0, 2.0]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-10.0, -10.0],
        xu=[10.0, 10.0],
        R=[[-1.0, 0.0], [0.0, -1.0]],
        Q=[[1.0, -2.0], [-2.0, 5.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[0.28, 0.48],
        y_star=[2.34, 1.03],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -7.56, f* = -0.58). Leader box "
            "added (the source gives none): F >= ||x||^2 - 12.5 and F* ~ -7.56 give ||x|| <= 2.3; box [-10, "
            "10]^2. Listed values are rounded/inexact: at the listed x the follower's exact response gives F "
            "~ -7.5785 (listed -7.56); a grid search found F ~ -7.5785 as the best value."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # Outrata1990Ex1c (BOLIB)
    #   min_{x,y}  F = (y1 - 3)^2/2 + (y2 - 4)^2/2 - 25/2
    #   s.t.       -50 <= x1 <= 50, -50 <= x2 <= 50
    #              y in argmin_y  f = -x1*y1 - x2*y2 + y1*(y1 + 3*y2)/2 + y2*(3*y1 + 10*y2)/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex1c",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex1c; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=2, n_y=2, f_star=-12.0,
        cy=[-3.0, -4.0],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-50.0, -50.0],
        xu=[50.0, 50.0],
        R=[[-1.0, 0.0], [0.0, -1.0]],
        Q=[[1.0, 3.0], [3.0, 10.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[20.26, 42.81],
        y_star=[3.0, 3.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -12, f* = -112.71). Leader box "
            "added (the source gives none): F depends on y only; every follower-feasible y is the follower "
            "response at x = H*y (H = [[1, 3], [3, 10]]) and the follower feasible set lies in [0, 3]^2, so "
            "an optimal x exists in [0, 12] x [0, 39]; box [-50, 50]^2 also contains the listed x*. With the "
            "coefficients 0.333 the follower polytope vertex is (2.9985, 2.9985), so the optimum is F ~ "
            "-11.9985 (listed -12 is rounded); the listed y* = (3, 3) violates a follower constraint by 1e-3."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # Outrata1990Ex1d (BOLIB)
    #   min_{x,y}  F = x1^2/10 + x2^2/10 + (y1 - 3)^2/2 + (y2 - 4)^2/2 - 25/2
    #   s.t.       -10 <= x1 <= 10, -10 <= x2 <= 10
    #              y in argmin_y  f = -x1*y1 - x2*y2 + y1*(y1 + 3*y2)/2 + y2*(3*y1 + 10*y2)/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex1d",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex1d; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=2, n_y=2, f_star=-3.6,
        cy=[-3.0, -4.0],
        Hxx=[[0.2, 0.0], [0.0, 0.2]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-10.0, -10.0],
        xu=[10.0, 10.0],
        R=[[-1.0, 0.0], [0.0, -1.0]],
        Q=[[1.0, 3.0], [3.0, 10.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[2.0, 0.06],
        y_star=[2.0, 0.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -3.6, f* = -2). Leader box added "
            "(the source gives none): F >= 0.1*||x||^2 - 12.5 and F* = -3.6 give ||x|| <= 9.44; box [-10, "
            "10]^2. The listed x2 = 0.06 is imprecise (F(x*, y*) = -3.59964); x = (2, 0), y = (2, 0) attains "
            "F = -3.6 exactly."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # Outrata1990Ex1e (BOLIB)
    #   min_{x,y}  F = x1^2/10 + x2^2/10 + (y1 - 3)^2/2 + (y2 - 4)^2/2 - 25/2
    #   s.t.       -10 <= x1 <= 10, -10 <= x2 <= 10
    #              y in argmin_y  f = x1*(y1 - 3*y2) - x2*(2*y1 - 3*y2) + y1*(y1 + 3*y2)/2 + y2*(3*y1 + 10*y2)/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex1e",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex1e; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=2, n_y=2, f_star=-3.15,
        cy=[-3.0, -4.0],
        Hxx=[[0.2, 0.0], [0.0, 0.2]],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[-10.0, -10.0],
        xu=[10.0, 10.0],
        R=[[1.0, -3.0], [-2.0, 3.0]],
        Q=[[1.0, 3.0], [3.0, 10.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[2.42, -3.65],
        y_star=[0.0, 1.58],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -3.15, f* = -16.29). Leader box "
            "added (the source gives none): F >= 0.1*||x||^2 - 12.5 and F* <= -3.15 give ||x|| <= 9.67; box "
            "[-10, 10]^2. The listed y* = (0, 1.58) is not the follower's response at the listed x* = (2.42, "
            "-3.65) (that response is y ~ (0, 1.82)). For the problem as coded in BOLIB (follower term -y'Bx) "
            "x = (-0.4, 0.8), y = (2, 0) is bilevel-feasible with F = -3.92 < -3.15."
        ),
        tags=("quadratic", "listed-point-mismatch", "suspect-not-global"),
    ),
    # Outrata1990Ex2a (BOLIB)
    #   min_{x,y}  F = (y1 - 3)^2/2 + (y2 - 4)^2/2
    #   s.t.       0 <= x <= 10
    #              y in argmin_y  f = -x*y2 + y1^2/2 - y1*(1333*x/1000 + 3) + y2^2/2
    #                 s.t. -0.333*y1 + y2 <= 2, y1 - 0.333*y2 <= 2, y1 >= 0, y2 >= 0
    BilevelProblem(
        name="Outrata1990Ex2a",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Outrata1990Ex2a; original: J. V. Outrata, On the numerical solution of a class of "
            "Stackelberg problems, Zeitschrift fuer Operations Research 34(4) (1990) 255-277."
        ),
        n_x=1, n_y=2, f_star=-12.0,
        cy=[-3.0, -4.0],
        Hyy=[[1.0, 0.0], [0.0, 1.0]],
        xl=[0.0],
        xu=[10.0],
        dy=[-3.0, 0.0],
        R=[[-1.333, -1.0]],
        Q=[[1.0, 0.0], [0.0, 1.0]],
        By=[[-0.333, 1.0], [1.0, -0.333]],
        b=[2.0, 2.0],
        yl=[0.0, 0.0],
        x_star=[2.07],
        y_star=[3.0, 3.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = 0.5, f* = -14.53). Constant 12.5 "
            "dropped from F; published optimum = f_star + 12.5 = 0.5. Leader box added (the source gives "
            "none): x >= 0 from the source; F depends on y only and for every x >= ~2 the follower answers "
            "with the vertex y ~ (3, 3) of its feasible set, so the upper bound 10 cuts off no optimal value "
            "(checked numerically up to x = 30). With the coefficients 0.333 the follower polytope vertex is "
            "(2.9985, 2.9985), so the best value is F ~ 0.5015 (listed 0.5 and y* = (3, 3) are rounded; y* "
            "violates a follower constraint by 1e-3)."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
    # OutrataCervinka2009 (BOLIB)
    #   min_{x,y}  F = -2*x1 - x2/2 - y2
    #   s.t.       -10 <= x1 <= 0, -10 <= x2 <= 10
    #              y in argmin_y  f = x1*y1 + x2*y2 + y1^2/2 + y1 + y2^2/2 - y2
    #                 s.t. -y1 + y2 <= 0, y1 + y2 <= 0, y2 <= 0
    BilevelProblem(
        name="OutrataCervinka2009",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB OutrataCervinka2009; original: J. V. Outrata, M. Cervinka, On the implicit "
            "programming approach in a class of mathematical programs with equilibrium constraints, Control "
            "and Cybernetics 38(4B) (2009) 1557-1574."
        ),
        n_x=2, n_y=2, f_star=0.0,
        cx=[-2.0, -0.5],
        cy=[0.0, -1.0],
        xl=[-10.0, -10.0],
        xu=[0.0, 10.0],
        dy=[1.0, -1.0],
        R=[[1.0, 0.0], [0.0, 1.0]],
        Q=[[1.0, 0.0], [0.0, 1.0]],
        By=[[-1.0, 1.0], [1.0, 1.0]],
        b=[0.0, 0.0],
        yu=[_INF, 0.0],
        x_star=[0.0, 0.0],
        y_star=[0.0, 0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0, f* = 0). Leader box added (the source gives "
            "none): x1 <= 0 from the source; x2 in [-10, 10] added (optimum at x = 0; a grid search on [-30, "
            "0] x [-50, 50] found no value below 0)."
        ),
        tags=("quadratic",),
    ),
    # SahinCiric1998Ex2 (BOLIB)
    #   min_{x,y}  F = (x - 3)^2 + (y - 2)^2
    #   s.t.       0 <= x <= 8
    #              y in argmin_y  f = (y - 5)^2
    #                 s.t. -2*x + y <= 1, x - 2*y <= -2, x + 2*y <= 14
    BilevelProblem(
        name="SahinCiric1998Ex2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB SahinCiric1998Ex2; original: K. H. Sahin, A. R. Ciric, A dual temperature simulated "
            "annealing approach for solving bilevel programming problems, Computers & Chemical Engineering "
            "23(1) (1998) 11-25."
        ),
        n_x=1, n_y=1, f_star=-8.0,
        cx=[-6.0],
        cy=[-4.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        xl=[0.0],
        xu=[8.0],
        dy=[-10.0],
        Q=[[2.0]],
        Ax=[[-2.0], [1.0], [1.0]],
        By=[[1.0], [-2.0], [2.0]],
        b=[1.0, -2.0, 14.0],
        x_star=[1.0],
        y_star=[3.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 5, f* = 4). Constant 13 dropped from F; published "
            "optimum = f_star + 13 = 5. Same data as ClarkWesterberg1990a in BOLIB."
        ),
        tags=("quadratic",),
    ),
    # ShimizuAiyoshi1981Ex1 (BOLIB, = BASBLib sa_1981_01)
    #   min_{x,y}  F = x^2 + (y - 10)^2
    #   s.t.       0 <= x <= 15, -x + y <= 0
    #              y in argmin_y  f = (x + 2*y - 30)^2
    #                 s.t. x + y <= 20, 0 <= y <= 20
    BilevelProblem(
        name="ShimizuAiyoshi1981Ex1",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB ShimizuAiyoshi1981Ex1; original: K. Shimizu, E. Aiyoshi, A new computational method "
            "for Stackelberg and min-max problems by use of a penalty method, IEEE Trans. Automatic Control "
            "26(2) (1981) 460-466; also BASBLib sa_1981_01."
        ),
        n_x=1, n_y=1, f_star=0.0,
        cy=[-20.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        Gx=[[-1.0]],
        Gy=[[1.0]],
        g=[0.0],
        xl=[0.0],
        xu=[15.0],
        dy=[-120.0],
        R=[[4.0]],
        Q=[[8.0]],
        Ax=[[1.0]],
        By=[[1.0]],
        b=[20.0],
        yl=[0.0],
        yu=[20.0],
        x_star=[10.0],
        y_star=[10.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 100, f* = 0). Constant 100 dropped from F; "
            "published optimum = f_star + 100 = 100. Same problem as BASBLib sa_1981_01 (QP-QP)."
        ),
        tags=("quadratic", "coupled"),
    ),
    # ShimizuAiyoshi1981Ex2 (BOLIB, = BASBLib sa_1981_02)
    #   min_{x,y}  F = -20*y1 + 20*y2 + (x1 - 30)^2 + (x2 - 20)^2
    #   s.t.       0 <= x1 <= 20, 5 <= x2 <= 15, -x1 - 2*x2 <= -30, x1 + x2 <= 25
    #              y in argmin_y  f = (x1 - y1)^2 + (x2 - y2)^2
    #                 s.t. 0 <= y1 <= 10, 0 <= y2 <= 10
    BilevelProblem(
        name="ShimizuAiyoshi1981Ex2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB ShimizuAiyoshi1981Ex2; original: K. Shimizu, E. Aiyoshi, A new computational method "
            "for Stackelberg and min-max problems by use of a penalty method, IEEE Trans. Automatic Control "
            "26(2) (1981) 460-466; also BASBLib sa_1981_02."
        ),
        n_x=2, n_y=2, f_star=-1075.0,
        cx=[-60.0, -40.0],
        cy=[-20.0, 20.0],
        Hxx=[[2.0, 0.0], [0.0, 2.0]],
        Gx=[[-1.0, -2.0], [1.0, 1.0]],
        g=[-30.0, 25.0],
        xl=[0.0, 5.0],
        xu=[20.0, 15.0],
        R=[[-2.0, 0.0], [0.0, -2.0]],
        Q=[[2.0, 0.0], [0.0, 2.0]],
        yl=[0.0, 0.0],
        yu=[10.0, 10.0],
        x_star=[20.0, 5.0],
        y_star=[10.0, 5.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 225, f* = 100). Constant 1300 dropped from F; "
            "published optimum = f_star + 1300 = 225. Leader bounds -0 <= x1 <= 20; 5 <= x2 <= 15 derived by "
            "LP from the upper- and lower-level constraints (implied, not in the source). Same problem as "
            "BASBLib sa_1981_02 (QP-QP). Same problem as TP1 of the BLEAQ set (tp.py), which uses the box -30 "
            "<= x1 <= 30, -30 <= x2 <= 15."
        ),
        tags=("quadratic",),
    ),
    # TollSettingP1 (BOLIB)
    #   min_{x,y}  F = -x1*y3 - x2*y4 - x3*y8
    #   s.t.       0 <= x1 <= 20, 0 <= x2 <= 20, 0 <= x3 <= 20
    #              y in argmin_y  f = x2*y4 + x3*y8 + 2*y1 + 6*y2 + y3*(x1 + 5) + 4*y5 + 2*y6 + 6*y7
    #                 s.t. y1 + y2 + y3 = 1, -y1 + y4 + y5 = 0, -y2 - y4 + y6 + y7 = 0,
    #                      -y5 - y6 + y8 = 0, y3 + y7 + y8 = 1, y1 >= 0, y2 >= 0, y3 >= 0, y4 >= 0,
    #                      y5 >= 0, y6 >= 0, y7 >= 0, y8 >= 0
    BilevelProblem(
        name="TollSettingP1",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB TollSettingP1 (toll-setting example coded in BOLIBver2 after B. Colson, BIPA "
            "(BIlevel Programming with Approximation methods): software guide and test problems, technical "
            "report, 2002; see also B. Colson, P. Marcotte, G. Savard, A trust-region method for nonlinear "
            "bilevel programming: algorithm and computational experience, Computational Optimization and "
            "Applications 30(3) (2005) 211-227)."
        ),
        n_x=3, n_y=8, f_star=-7.0,
        Hxy=[[0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]],
        xl=[0.0, 0.0, 0.0],
        xu=[20.0, 20.0, 20.0],
        dy=[2.0, 6.0, 5.0, 0.0, 4.0, 2.0, 6.0, 0.0],
        R=[[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]],
        Ey=[[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, -1.0, 0.0, -1.0, 0.0, 1.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, -1.0, -1.0, 0.0, 1.0],
            [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]],
        e=[1.0, 0.0, 0.0, 0.0, 1.0],
        yl=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        x_star=[7.0, 4.0, 6.0],
        y_star=[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -7, f* = 12). Leader box added "
            "(the source gives none): tolls x >= 0 from the source; upper bound 20 added (a search on [0, "
            "60]^3 found nothing better). Follower is an LP (flow conservation as equalities). BOLIB: values "
            "reported in Colson et al. (2005) differ; (7, 4, 6, 0, 0, 1, 0, 0, 0, 0, 0) is BOLIB's possible "
            "solution. Bilinear F (toll * flow)."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # TollSettingP2 (BOLIB)
    #   min_{x,y}  F = -x1*(y1 + y2) - x2*(y3 + y4) - x3*(y5 + y6)
    #   s.t.       0 <= x1 <= 20, 0 <= x2 <= 20, 0 <= x3 <= 20
    #              y in argmin_y  f = 2*x1*y1 + 2*x1*y2 + 2*x2*y3 + 2*x2*y4 + 2*x3*y5 + 2*x3*y6 + 7*y10 + 2*y11 +
    #                                 4*y12 + 29*y13 + 20*y14 + 12*y15 + 8*y16 + 5*y17 + 2*y18 + 5*y7 + 7*y8 + 14*y9
    #                 s.t. y7 + y8 + y9 = 1, y10 + y11 + y12 = 1, y13 + y14 + y15 = 1,
    #                      y16 + y17 + y18 = 1, y1 + y5 - y7 + y13 = 0, y2 + y6 - y10 + y16 = 0,
    #                      -y1 + y3 - y8 + y14 = 0, -y2 + y4 - y11 + y17 = 0, -y3 - y5 - y9 + y15 = 0,
    #                      -y4 - y6 - y12 + y18 = 0, y1 >= 0, y2 >= 0, y3 >= 0, y4 >= 0, y5 >= 0,
    #                      y6 >= 0, y7 >= 0, y8 >= 0, y9 >= 0, y10 >= 0, y11 >= 0, y12 >= 0, y13 >= 0,
    #                      y14 >= 0, y15 >= 0, y16 >= 0, y17 >= 0, y18 >= 0
    BilevelProblem(
        name="TollSettingP2",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB TollSettingP2 (toll-setting example coded in BOLIBver2 after B. Colson, BIPA "
            "(BIlevel Programming with Approximation methods): software guide and test problems, technical "
            "report, 2002; see also B. Colson, P. Marcotte, G. Savard, A trust-region method for nonlinear "
            "bilevel programming: algorithm and computational experience, Computational Optimization and "
            "Applications 30(3) (2005) 211-227)."
        ),
        n_x=3, n_y=18, f_star=-4.5,
        Hxy=[[-1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, 0.0, 0.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]],
        xl=[0.0, 0.0, 0.0],
        xu=[20.0, 20.0, 20.0],
        dy=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 7.0, 14.0, 7.0, 2.0, 4.0, 29.0, 20.0, 12.0, 8.0, 5.0, 2.0],
        R=[[2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]],
        Ey=[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]],
        e=[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        yl=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        x_star=[0.5, 4.0, 4.5],
        y_star=[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -4.5, f* = 32). Leader box added "
            "(the source gives none): tolls x >= 0 from the source; upper bound 20 added (a search on [0, "
            "60]^3 found nothing better). Follower is an LP (flow conservation as equalities). BOLIB notes "
            "Colson et al. (2005) report F = -9, f = 32 for their version; BOLIB's possible solution gives F "
            "= -4.5. Bilinear F."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # TollSettingP3 (BOLIB)
    #   min_{x,y}  F = -x1*(y1 + 10*y2) - x2*(y3 + 10*y4) - x3*(y5 + 10*y6)
    #   s.t.       0 <= x1 <= 20, 0 <= x2 <= 20, 0 <= x3 <= 20
    #              y in argmin_y  f = 2*x1*y1 + 20*x1*y2 + 2*x2*y3 + 20*x2*y4 + 2*x3*y5 + 20*x3*y6 + 7*y10 + 2*y11 +
    #                                 4*y12 + 29*y13 + 20*y14 + 12*y15 + 8*y16 + 5*y17 + 2*y18 + 5*y7 + 7*y8 + 14*y9
    #                 s.t. y7 + y8 + y9 = 1, y10 + y11 + y12 = 1, y13 + y14 + y15 = 1,
    #                      y16 + y17 + y18 = 1, y1 + y5 - y7 + y13 = 0, 10*y2 + 10*y6 - y10 + y16 = 0,
    #                      -y1 + y3 - y8 + y14 = 0, -10*y2 + 10*y4 - y11 + y17 = 0,
    #                      -y3 - y5 - y9 + y15 = 0, -10*y4 - 10*y6 - y12 + y18 = 0, y1 >= 0, y2 >= 0,
    #                      y3 >= 0, y4 >= 0, y5 >= 0, y6 >= 0, y7 >= 0, y8 >= 0, y9 >= 0, y10 >= 0,
    #                      y11 >= 0, y12 >= 0, y13 >= 0, y14 >= 0, y15 >= 0, y16 >= 0, y17 >= 0,
    #                      y18 >= 0
    BilevelProblem(
        name="TollSettingP3",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB TollSettingP3 (toll-setting example coded in BOLIBver2 after B. Colson, BIPA "
            "(BIlevel Programming with Approximation methods): software guide and test problems, technical "
            "report, 2002; see also B. Colson, P. Marcotte, G. Savard, A trust-region method for nonlinear "
            "bilevel programming: algorithm and computational experience, Computational Optimization and "
            "Applications 30(3) (2005) 211-227)."
        ),
        n_x=3, n_y=18, f_star=-3.5,
        Hxy=[[-1.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, -1.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, 0.0, 0.0, -1.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]],
        xl=[0.0, 0.0, 0.0],
        xu=[20.0, 20.0, 20.0],
        dy=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 7.0, 14.0, 7.0, 2.0, 4.0, 29.0, 20.0, 12.0, 8.0, 5.0, 2.0],
        R=[[2.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 2.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
           [0.0, 0.0, 0.0, 0.0, 2.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]],
        Ey=[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 10.0, 0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, -10.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, -10.0, 0.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]],
        e=[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        yl=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        x_star=[5.0, 3.5, 8.5],
        y_star=[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -3.5, f* = 32). Leader box added "
            "(the source gives none): tolls x >= 0 from the source; upper bound 20 added (a search on [0, "
            "60]^3 found nothing better). Follower is an LP (flow conservation as equalities). BOLIB notes "
            "Colson et al. (2005) report F = -24, f = 81 for their version; BOLIB's possible solution gives F "
            "= -3.5. A search here found x = (10, 3.5, 4.5) with the follower response y5 = y7 = y12 = y15 = "
            "y18 = 1 and F = -4.5 < -3.5. Bilinear F."
        ),
        tags=("quadratic", "degenerate", "suspect-not-global"),
    ),
    # TollSettingP4 (BOLIB)
    #   min_{x,y}  F = -x1*(y2 + y3) - x2*y3
    #   s.t.       -20 <= x1 <= 20, -20 <= x2 <= 20
    #              y in argmin_y  f = 8*y1 + y2*(2*x1 + 3) + y3*(2*x1 + 2*x2 + 3) + 6*y4
    #                 s.t. y1 + y2 = 1, y3 + y4 = 1, y1 >= 0, y2 >= 0, y3 >= 0, y4 >= 0
    BilevelProblem(
        name="TollSettingP4",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB TollSettingP4 (toll-setting example coded in BOLIBver2 after B. Colson, BIPA "
            "(BIlevel Programming with Approximation methods): software guide and test problems, technical "
            "report, 2002; see also B. Colson, P. Marcotte, G. Savard, A trust-region method for nonlinear "
            "bilevel programming: algorithm and computational experience, Computational Optimization and "
            "Applications 30(3) (2005) 211-227)."
        ),
        n_x=2, n_y=4, f_star=-4.0,
        Hxy=[[0.0, -1.0, -1.0, 0.0], [0.0, 0.0, -1.0, 0.0]],
        xl=[-20.0, -20.0],
        xu=[20.0, 20.0],
        dy=[8.0, 3.0, 3.0, 6.0],
        R=[[0.0, 2.0, 2.0, 0.0], [0.0, 0.0, 2.0, 0.0]],
        Ey=[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]],
        e=[1.0, 1.0],
        yl=[0.0, 0.0, 0.0, 0.0],
        x_star=[2.5, -1.0],
        y_star=[0.0, 1.0, 1.0, 0.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -4, f* = 14). Leader box added "
            "(the source gives none): no bounds in the source (negative tolls allowed); box [-20, 20]^2 (a "
            "search on [-100, 100]^2 found nothing better). Follower is an LP. BOLIB notes Colson et al. "
            "(2005) report F = -8 for their version; BOLIB lists two solutions with F = -4 (the other: x = "
            "(10/3, -4/3), y = (1, 0, 0, 1)). Bilinear F."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # TollSettingP5 (BOLIB)
    #   min_{x,y}  F = -x*(y2 + y3)
    #   s.t.       -20 <= x <= 20
    #              y in argmin_y  f = 8*y1 + y2*(2*x + 3) + y3*(2*x + 4) + 6*y4
    #                 s.t. y1 + y2 = 1, y3 + y4 = 1, y1 >= 0, y2 >= 0, y3 >= 0, y4 >= 0
    BilevelProblem(
        name="TollSettingP5",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB TollSettingP5 (toll-setting example coded in BOLIBver2 after B. Colson, BIPA "
            "(BIlevel Programming with Approximation methods): software guide and test problems, technical "
            "report, 2002; see also B. Colson, P. Marcotte, G. Savard, A trust-region method for nonlinear "
            "bilevel programming: algorithm and computational experience, Computational Optimization and "
            "Applications 30(3) (2005) 211-227)."
        ),
        n_x=1, n_y=4, f_star=-2.5,
        Hxy=[[0.0, -1.0, -1.0, 0.0]],
        xl=[-20.0],
        xu=[20.0],
        dy=[8.0, 3.0, 4.0, 6.0],
        R=[[0.0, 2.0, 2.0, 0.0]],
        Ey=[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]],
        e=[1.0, 1.0],
        yl=[0.0, 0.0, 0.0, 0.0],
        x_star=[2.5],
        y_star=[0.0, 1.0, 0.0, 1.0],
        notes=(
            "BOLIB status: best known (may not be global) (BOLIB lists F* = -2.5, f* = 14). Leader box added "
            "(the source gives none): no bounds in the source; box [-20, 20] (a search on [-100, 100] found "
            "nothing better). Follower is an LP. BOLIB notes Colson et al. (2005) report F = -11 for their "
            "version. Bilinear F."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # Yezza1996Ex31 (BOLIB, = BASBLib y_1996_02)
    #   min_{x,y}  F = 2*x - y*(4*x - 3) + 1
    #   s.t.       0 <= x <= 1
    #              y in argmin_y  f = -2*x + y*(4*x - 1) - 2
    #                 s.t. 0 <= y <= 1
    BilevelProblem(
        name="Yezza1996Ex31",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Yezza1996Ex31; original: A. Yezza, First-order necessary optimality conditions for "
            "general bilevel programming problems, J. Optimization Theory and Applications 89(1) (1996) "
            "189-219; also BASBLib y_1996_02."
        ),
        n_x=1, n_y=1, f_star=0.5,
        cx=[2.0],
        cy=[3.0],
        Hxy=[[-4.0]],
        xl=[0.0],
        xu=[1.0],
        dy=[-1.0],
        R=[[4.0]],
        yl=[0.0],
        yu=[1.0],
        x_star=[0.25],
        y_star=[0.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 1.5, f* = -2.5). Constant 1 dropped from F; "
            "published optimum = f_star + 1 = 1.5. Same problem as BASBLib y_1996_02 (QP-QP). Bilinear F (x*y "
            "term)."
        ),
        tags=("quadratic", "degenerate"),
    ),
    # Yezza1996Ex41 (BOLIB)
    #   min_{x,y}  F = (y - 2)^2/2 + (-x + y + 2)^2/2
    #   s.t.       0 <= x <= 10
    #              y in argmin_y  f = x + y^2/2 - y
    #                 s.t. -x + y <= 0, y >= 0
    BilevelProblem(
        name="Yezza1996Ex41",
        source=(
            "Zhou, Zemkoho, Tin, BOLIB: Bilevel Optimization LIBrary of test problems (BOLIBver2), Springer "
            "2020: BOLIB Yezza1996Ex41; original: A. Yezza, First-order necessary optimality conditions for "
            "general bilevel programming problems, J. Optimization Theory and Applications 89(1) (1996) "
            "189-219."
        ),
        n_x=1, n_y=1, f_star=-3.5,
        cx=[-2.0],
        Hxx=[[1.0]],
        Hxy=[[-1.0]],
        Hyy=[[2.0]],
        xl=[0.0],
        xu=[10.0],
        dy=[-1.0],
        Q=[[1.0]],
        Ax=[[-1.0]],
        By=[[1.0]],
        b=[0.0],
        yl=[0.0],
        x_star=[3.0],
        y_star=[1.0],
        notes=(
            "BOLIB status: global optimum (BOLIB lists F* = 0.5, f* = 2.5). Constant 4 dropped from F; "
            "published optimum = f_star + 4 = 0.5. Leader box added (the source gives none): x >= 0 is "
            "implied by 0 <= y <= x; for x >= 1 the follower answers y = 1 and F = 0.5 + 0.5*(x - 3)^2, so "
            "the upper bound 10 cuts off no optimum."
        ),
        tags=("quadratic",),
    ),
    # b_1998_02 (BASBLib QP-QP)
    #   min_{x,y}  F = 0.5*(x1 - 0.8)^2 + 0.5*(x2 - 0.2)^2 + 0.5*(y - 1)^2
    #   s.t.       0 <= x1 <= 1, 0 <= x2 <= 1
    #              y in argmin_y  f = 0.5*y^2 - y - x1*y + 2*x2*y
    #                 s.t. 0 <= y <= 1
    BilevelProblem(
        name="b_1998_02",
        source=(
            "Paulavicius, Adjiman, BASBLib - a library of bilevel test problems, v2.3, 2019 "
            "(doi:10.5281/zenodo.3266835): b_1998_02; original: Example 7.2.1 of J. F. Bard, Practical "
            "Bilevel Optimization, Kluwer, 1998."
        ),
        n_x=2, n_y=1, f_star=-0.84,
        cx=[-0.8, -0.2],
        cy=[-1.0],
        Hxx=[[1.0, 0.0], [0.0, 1.0]],
        Hyy=[[1.0]],
        xl=[0.0, 0.0],
        xu=[1.0, 1.0],
        dy=[-1.0],
        R=[[-1.0], [2.0]],
        Q=[[1.0]],
        yl=[0.0],
        yu=[1.0],
        x_star=[0.8, 0.2],
        y_star=[1.0],
        notes=(
            "Constant 0.84 dropped from F; published optimum = f_star + 0.84 = 0. BASBLib status: optimal (F* "
            "= 0, f* = -0.9). BASBLib corrected the sign of the linear term of the follower objective (+y -> "
            "-y) relative to the book."
        ),
        tags=("quadratic",),
    ),
    # b_1998_03 (BASBLib QP-QP)
    #   min_{x,y}  F = 0.5*(x1 - 1)^2 + 0.5*(x2 - 0.4)^2 + 0.5*(y - 0.8)^2
    #   s.t.       0 <= x1 <= 1, 0 <= x2 <= 1
    #              y in argmin_y  f = 0.5*y^2 - y - x1*y + 3*x2*y
    #                 s.t. 0 <= y <= 1
    BilevelProblem(
        name="b_1998_03",
        source=(
            "Paulavicius, Adjiman, BASBLib - a library of bilevel test problems, v2.3, 2019 "
            "(doi:10.5281/zenodo.3266835): b_1998_03; original: Example 7.2.2 of J. F. Bard, Practical "
            "Bilevel Optimization, Kluwer, 1998."
        ),
        n_x=2, n_y=1, f_star=-0.9,
        cx=[-1.0, -0.4],
        cy=[-0.8],
        Hxx=[[1.0, 0.0], [0.0, 1.0]],
        Hyy=[[1.0]],
        xl=[0.0, 0.0],
        xu=[1.0, 1.0],
        dy=[-1.0],
        R=[[-1.0], [3.0]],
        Q=[[1.0]],
        yl=[0.0],
        yu=[1.0],
        x_star=[1.0, 0.4],
        y_star=[0.8],
        notes=(
            "Constant 0.9 dropped from F; published optimum = f_star + 0.9 = 0. BASBLib status: optimal (F* = "
            "0, f* = -0.32). BASBLib corrected the sign of the linear term of the follower objective (+y -> "
            "-y) relative to the book."
        ),
        tags=("quadratic",),
    ),
    # b_1998_05 (BASBLib QP-QP)
    #   min_{x,y}  F = (x - 1)^2 + (y - 1)^2
    #   s.t.       -100 <= x <= 100
    #              y in argmin_y  f = 0.5*y^2 + 500*y - 50*x*y
    #                 s.t. 0 <= y <= 100
    BilevelProblem(
        name="b_1998_05",
        source=(
            "Paulavicius, Adjiman, BASBLib - a library of bilevel test problems, v2.3, 2019 "
            "(doi:10.5281/zenodo.3266835): b_1998_05; original: Example 8.1.3 of J. F. Bard, Practical "
            "Bilevel Optimization, Kluwer, 1998, with y >= 0 added (BASBLib variant of MacalHurter1997 / "
            "b_1998_04)."
        ),
        n_x=1, n_y=1, f_star=-1.0,
        cx=[-2.0],
        cy=[-2.0],
        Hxx=[[2.0]],
        Hyy=[[2.0]],
        xl=[-100.0],
        xu=[100.0],
        dy=[500.0],
        R=[[-50.0]],
        Q=[[1.0]],
        yl=[0.0],
        yu=[100.0],
        x_star=[1.0],
        y_star=[0.0],
        notes=(
            "Constant 2 dropped from F; published optimum = f_star + 2 = 1. BASBLib status: optimal (F* = 1, "
            "f* = 0). Box -100 <= x <= 100 and 0 <= y <= 100 as in BASBLib."
        ),
        tags=("quadratic",),
    ),
    # b_1998_07 (BASBLib QP-QP)
    #   min_{x,y}  F = (x - 1)^2 + 2*y1^2 - 2*x
    #   s.t.       0 <= x <= 10
    #              y in argmin_y  f = (2*y1 - 4)^2 + (2*y2 - 1)^2 + x*y1
    #                 s.t. 4*x + 5*y1 + 4*y2 <= 12, 4*x - 4*y1 + 5*y2 <= 4, -4*x - 5*y1 + 4*y2 <= -4,
    #                      -4*x + 4*y1 + 5*y2 <= 4, 0 <= y1 <= 10, 0 <= y2 <= 10
    BilevelProblem(
        name="b_1998_07",
        source=(
            "Paulavicius, Adjiman, BASBLib - a library of bilevel test problems, v2.3, 2019 "
            "(doi:10.5281/zenodo.3266835): b_1998_07; original: Example 8.5.1 of J. F. Bard, Practical "
            "Bilevel Optimization, Kluwer, 1998."
        ),
        n_x=1, n_y=2, f_star=-2.41,
        cx=[-4.0],
        Hxx=[[2.0]],
        Hyy=[[4.0, 0.0], [0.0, 0.0]],
        xl=[0.0],
        xu=[10.0],
        dy=[-16.0, -4.0],
        R=[[1.0, 0.0]],
        Q=[[8.0, 0.0], [0.0, 8.0]],
        Ax=[[4.0], [4.0], [-4.0], [-4.0]],
        By=[[5.0, 4.0], [-4.0, 5.0], [-5.0, 4.0], [4.0, 5.0]],
        b=[12.0, 4.0, -4.0, 4.0],
        yl=[0.0, 0.0],
        yu=[10.0, 10.0],
        x_star=[1.89],
        y_star=[0.89, 0.0],
        notes=(
            "Constant 1 dropped from F; published optimum = f_star + 1 = -1.41. BASBLib status: optimal "
            "(listed F* = -1.41, f* = 7.62, x* = 1.89, y* = (0.89, 0)). The listed values are rounded: the "
            "follower is infeasible for x > 17/9 (at x = 1.89 the listed y* violates 4x + 5y1 + 4y2 <= 12 by "
            "0.01); the exact optimum is F = -114/81 ~ -1.40741 at x = 17/9, y = (8/9, 0) (grid search here). "
            "Differs from TP6 (tp.py) only in the upper-level term 2*y1^2 (TP6: 2*y1). Bounds 0 <= x <= 10, 0 "
            "<= y <= 10 as in BASBLib."
        ),
        tags=("quadratic", "listed-point-mismatch"),
    ),
)

"""Bilevel test problems whose lower level is a linear program (see problem.py for the data form).

Sources:

* BOLIB, version 2: S. Zhou, A. B. Zemkoho, A. Tin, "BOLIB: Bilevel Optimization LIBrary of
  test problems", in S. Dempe, A. Zemkoho (eds.), Bilevel Optimization, Springer Optimization
  and Its Applications 161, 563-580 (2020); its MATLAB files (``Examples/Linear``,
  ``Examples/Nonlinear``, ``Examples/Simple``), the optima of ``InfomAllExamp.m`` and the
  solution points of its supplement "Mathematical formulas for problems in BOLIB 2019"
  (``Formulas.pdf``). BOLIB writes ``G(x, y) <= 0`` and ``g(x, y) <= 0``.
* BASBLib, v2.3: R. Paulavičius, C. S. Adjiman, "BASBLib - a library of bilevel test
  problems", Zenodo (2019), doi:10.5281/zenodo.3266835 (R. Paulavičius, P.-M. Kleniati,
  C. S. Adjiman, BASBL: Branch-and-sandwich bilevel solver, 2017); its AMPL files (``*.mod``)
  and problem pages (statements, best known solutions). BASBLib's variable bounds on y
  belong to the inner problem (its KKT conditions carry multipliers for them).

Every problem is stored in the minimisation form of problem.py; no problem here is a
maximisation in its library. Constant terms of a leader objective cannot be stored (the
form has none); where a problem has one, ``f_star`` is the listed optimum minus that
constant and ``notes`` says so. Terms of the follower objective in x alone are dropped
(problem.py).

Tags: ``"linear"`` -- leader and follower objectives and all constraints linear (no
quadratic or bilinear term at all); ``"lp-follower"`` -- the lower level is an LP in y for
each x but the problem is not linear: ``"quadratic-leader"`` (convex quadratic F) and/or
``"bilinear-follower"`` (a term xᵀR y in f); ``"coupled"`` -- an upper-level constraint
involves y; ``"degenerate"`` -- the follower has non-unique optimal responses for some
leader decisions in the box; ``"listed-point-mismatch"`` -- the listed point and the
listed optimum do not agree (``notes`` says how).
"""

from __future__ import annotations

import math

from gamecore.cases.bilevel.problem import BilevelProblem

inf = math.inf

_BOLIB = "via BOLIB (Zhou, Zemkoho, Tin 2020, version 2)"
_BASBLIB = "via BASBLib (Paulavičius, Adjiman 2019, v2.3)"

# ------------------------------------------------------------------ original papers
_ANANDALINGAM_WHITE_1990 = (
    "G. Anandalingam, D. J. White, A solution method for the linear static Stackelberg problem "
    "using penalty functions, IEEE Transactions on Automatic Control 35(10), 1170-1173 (1990)")
_BARD_1984 = (
    "J. F. Bard, Optimality conditions for the bilevel programming problem, Naval Research "
    "Logistics Quarterly 31, 13-26 (1984)")
_BARD_1991 = (
    "J. F. Bard, Some properties of the bilevel programming problem, Journal of Optimization "
    "Theory and Applications 68(2), 371-378 (1991)")
_BARD_1998 = (
    "J. F. Bard, Practical Bilevel Optimization: Algorithms and Applications, Kluwer Academic "
    "Publishers, Dordrecht (1998)")
_BARD_FALK_1982 = (
    "J. F. Bard, J. E. Falk, An explicit solution to the multi-level programming problem, "
    "Computers & Operations Research 9(1), 77-100 (1982)")
_BEN_AYED_BLAIR_1990 = (
    "O. Ben-Ayed, C. E. Blair, Computational difficulties of bilevel linear programming, "
    "Operations Research 38(3), 556-560 (1990)")
_BIALAS_KARWAN_1984 = (
    "W. F. Bialas, M. H. Karwan, Two-level linear programming, Management Science 30(8), "
    "1004-1020 (1984)")
_CANDLER_TOWNSLEY_1982 = (
    "W. Candler, R. Townsley, A linear two-level programming problem, Computers & Operations "
    "Research 9(1), 59-76 (1982)")
_CLARK_WESTERBERG_1988 = (
    "P. A. Clark, A. W. Westerberg, A note on the optimality conditions for the bilevel "
    "programming problem, Naval Research Logistics 35(5), 413-418 (1988)")
_CLARK_WESTERBERG_1990 = (
    "P. A. Clark, A. W. Westerberg, Bilevel programming for steady-state chemical process "
    "design - I. Fundamentals and algorithms, Computers & Chemical Engineering 14(1), 87-97 (1990)")
_GLACKIN_ETAL_2009 = (
    "J. Glackin, J. G. Ecker, M. Kupferschmid, Solving bilevel linear programs using multiple "
    "objective linear programming, Journal of Optimization Theory and Applications 140(2), "
    "197-212 (2009)")
_HAURIE_SAVARD_WHITE_1990 = (
    "A. Haurie, G. Savard, D. J. White, A note on: an efficient point algorithm for a linear "
    "two-stage optimization problem, Operations Research 38(3), 553-555 (1990)")
_HU_HUANG_ZHANG_2009 = (
    "T. Hu, B. Huang, X. Zhang, A neural network approach for solving linear bilevel programming "
    "problem, Proceedings of the 6th International Symposium on Neural Networks (ISNN 2009), "
    "Advances in Intelligent and Soft Computing 56, 649-658 (2009)")
_LAN_ETAL_2007 = (
    "K.-M. Lan, U.-P. Wen, H.-S. Shih, E. S. Lee, A hybrid neural network approach to bilevel "
    "programming problems, Applied Mathematics Letters 20(8), 880-884 (2007)")
_LIU_HART_1994 = (
    "Y.-H. Liu, S. M. Hart, Characterizing an optimal solution to the linear bilevel programming "
    "problem, European Journal of Operational Research 73(1), 164-166 (1994)")
_MERSHA_DEMPE_2006 = (
    "A. G. Mersha, S. Dempe, Linear bilevel programming with upper level constraints depending "
    "on the lower level solution, Applied Mathematics and Computation 180(1), 247-254 (2006)")
_TUY_ETAL_1993 = (
    "H. Tuy, A. Migdalas, P. Värbrand, A global optimization approach for the linear two-level "
    "program, Journal of Global Optimization 3(1), 1-23 (1993)")
_TUY_ETAL_1994 = (
    "H. Tuy, A. Migdalas, P. Värbrand, A quasiconcave minimization method for solving linear "
    "two-level programs, Journal of Global Optimization 4(3), 243-263 (1994)")
_TUY_ETAL_2007 = (
    "H. Tuy, A. Migdalas, N. T. Hoai-Phuong, A novel approach to bilevel nonlinear programming, "
    "Journal of Global Optimization 38(4), 527-554 (2007)")
_VISWESWARAN_ETAL_1996 = (
    "V. Visweswaran, C. A. Floudas, M. G. Ierapetritou, E. N. Pistikopoulos, A decomposition-based "
    "global optimization approach for solving bilevel linear and quadratic programs, in "
    "C. A. Floudas, P. M. Pardalos (eds.), State of the Art in Global Optimization, Nonconvex "
    "Optimization and Its Applications 7, 139-162, Kluwer (1996)")
_WANG_JIAO_LI_2005 = (
    "Y. Wang, Y.-C. Jiao, H. Li, An evolutionary algorithm for solving nonlinear bilevel "
    "programming based on a new constraint-handling scheme, IEEE Transactions on Systems, Man, "
    "and Cybernetics, Part C 35(2), 221-232 (2005)")
_CALAMAI_VICENTE_1994 = (
    "P. H. Calamai, L. N. Vicente, Generating quadratic bilevel programming test problems, ACM "
    "Transactions on Mathematical Software 20(1), 103-119 (1994)")
_DEMPE_ETAL_2012 = (
    "S. Dempe, B. S. Mordukhovich, A. B. Zemkoho, Sensitivity analysis for two-level value "
    "functions with applications to bilevel programming, SIAM Journal on Optimization 22(4), "
    "1309-1343 (2012)")
_DEMPE_FRANKE_2011 = (
    "S. Dempe, S. Franke, An algorithm for solving a class of bilevel programming problems, "
    "Preprint 2011-04, TU Bergakademie Freiberg (2011)")
_DEMPE_FRANKE_2014 = (
    "S. Dempe, S. Franke, Solution algorithm for an optimistic linear Stackelberg problem, "
    "Computers & Operations Research 41, 277-281 (2014)")
_DEMPE_LOHSE_2011 = (
    "S. Dempe, S. Lohse, Dependence of bilevel programming on irrelevant data, Preprint, "
    "Fakultät für Mathematik und Informatik, TU Bergakademie Freiberg (2011)")
_FRANKE_ETAL_2018 = (
    "S. Franke, P. Mehlitz, M. Pilecka, Optimality conditions for the simple convex bilevel "
    "programming problem in Banach spaces, Optimization 67(2), 237-268 (2018)")
_LAMPARIELLO_SAGRATELLA_2017 = (
    "L. Lampariello, S. Sagratella, A bridge between bilevel programs and Nash games, Journal "
    "of Optimization Theory and Applications 174(2), 613-635 (2017)")
_MITSOS_BARTON_2006 = (
    "A. Mitsos, P. I. Barton, A test set for bilevel programs, technical report, MIT (2006, last "
    "updated 19 September 2007)")
_MORGAN_PATRONE_2006 = (
    "J. Morgan, F. Patrone, Stackelberg problems: subgame perfect equilibria via Tikhonov "
    "regularization, in Advances in Dynamic Games, Annals of the International Society of "
    "Dynamic Games 8, 209-221, Birkhäuser (2006)")
_ALLENDE_STILL_2013 = (
    "G. B. Allende, G. Still, Solving bilevel programs with the KKT-approach, Mathematical "
    "Programming 138(1-2), 309-332 (2013)")
_SAVARD_1989 = (
    "G. Savard, Contribution à la programmation mathématique à deux niveaux, PhD thesis, "
    "École Polytechnique, Université de Montréal (1989)")
_SHIMIZU_ETAL_1997 = (
    "K. Shimizu, Y. Ishizuka, J. F. Bard, Nondifferentiable and Two-Level Mathematical "
    "Programming, Kluwer Academic Publishers, Boston (1997)")
_DEMPE_2000 = (
    "S. Dempe, A bundle algorithm applied to bilevel programming problems with non-unique lower "
    "level solutions, Computational Optimization and Applications 15(2), 145-166 (2000)")


# ============================================================== BOLIB, linear examples
_BOLIB_LINEAR: tuple[BilevelProblem, ...] = (
    # AnandalinghamWhite1990
    #   min  -x - 3y   s.t.  x >= 0
    #   y ∈ argmin { -x + 3y :  -x - 2y <= -10,  x - 2y <= 6,  2x - y <= 21,
    #                            x + 2y <= 38,  -x + 2y <= 18,  y >= 0 }
    BilevelProblem(
        name="AnandalinghamWhite1990",
        source=f"{_ANANDALINGAM_WHITE_1990}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-49.0,
        cx=[-1], cy=[-3],
        xl=[0], xu=[16],
        dy=[3],
        Ax=[[-1], [1], [2], [1], [-1]], By=[[-2], [-2], [-1], [2], [2]], b=[-10, 6, 21, 38, 18],
        yl=[0],
        x_star=[16], y_star=[11],
        notes=(
            "BOLIB lists F* = -49 (global) at (16; 11). BOLIB's f* = 15 is not f there (-x + 3y = 17, "
            "as BASBLib aw_1990_01 lists). x <= 16 derived (not in the source): the maximum of x over "
            "the joint constraint set (an LP)."),
        tags=("linear",),
    ),
    # Bard1984a
    #   min  x + y   s.t.  x >= 0
    #   y ∈ argmin { -5x - y :  -x - 0.5y <= -2,  -0.25x + y <= 2,  x + 0.5y <= 8,
    #                            x - 2y <= 4,  y >= 0 }
    BilevelProblem(
        name="Bard1984a",
        source=f"{_BARD_1984}; {_BOLIB}",
        n_x=1, n_y=1, f_star=28 / 9,
        cx=[1], cy=[1],
        xl=[0], xu=[7.2],
        dy=[-1],
        Ax=[[-1], [-0.25], [1], [1]], By=[[-0.5], [1], [0.5], [-2]], b=[-2, 2, 8, 4],
        yl=[0],
        x_star=[8 / 9], y_star=[20 / 9],
        notes=(
            "BOLIB lists F* = 28/9 (global) at (8/9; 20/9). x <= 7.2 derived (not in the source): the "
            "maximum of x over the joint constraint set (an LP). Differs from VisweswaranEtal1996 "
            "only in the 4th lower-level row (x - 2y <= 4 instead of 2), inactive near the optimum."),
        tags=("linear",),
    ),
    # Bard1984b
    #   min  -5x - y   s.t.  x >= 0
    #   y ∈ argmin { y :  -x - 0.5y <= -2,  -0.25x + y <= 2,  x + 0.5y <= 8,  x - 2y <= 4,  y >= 0 }
    BilevelProblem(
        name="Bard1984b",
        source=f"{_BARD_1984}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-37.6,
        cx=[-5], cy=[-1],
        xl=[0], xu=[7.2],
        dy=[1],
        Ax=[[-1], [-0.25], [1], [1]], By=[[-0.5], [1], [0.5], [-2]], b=[-2, 2, 8, 4],
        yl=[0],
        x_star=[7.2], y_star=[1.6],
        notes=(
            "BOLIB lists F* = -37.6 at the reported point (7.2; 1.6). x <= 7.2 derived (not in the "
            "source): the maximum of x over the joint constraint set (an LP)."),
        tags=("linear",),
    ),
    # Bard1991Ex2
    #   min  -x + 10y1 - y2   s.t.  x >= 0
    #   y ∈ argmin { -y1 - y2 :  x + y1 <= 1,  x + y2 <= 1,  y1 + y2 <= 1,  y >= 0 }
    BilevelProblem(
        name="Bard1991Ex2",
        source=f"{_BARD_1991} (Example 2.2); {_BOLIB}",
        n_x=1, n_y=2, f_star=-1.0,
        cx=[-1], cy=[10, -1],
        xl=[0], xu=[1],
        dy=[-1, -1],
        Ax=[[1], [1], [0]], By=[[1, 0], [0, 1], [1, 1]], b=[1, 1, 1],
        yl=[0, 0],
        x_star=[0], y_star=[0, 1],
        notes=(
            "BOLIB lists F* = -1 (global) at (0; 0, 1). For 0 <= x < 1 the follower's response is not "
            "unique (every y with y1 + y2 = 1, y1, y2 <= 1 - x); x = 1, y = (0, 0) is a second "
            "optimal solution. x <= 1 derived (not in the source): the maximum of x over the joint "
            "constraint set (an LP). Same as BASBLib b_1991_01 without its bounds <= 10."),
        tags=("linear", "degenerate"),
    ),
    # BardFalk1982Ex2
    #   min  -2x1 + x2 + 0.5y1   s.t.  x >= 0
    #   y ∈ argmin { x1 + x2 - 4y1 + y2 :  -2x1 + y1 - y2 <= -2.5,  x1 - 3x2 + y2 <= 2,
    #                                       x1 + x2 <= 2,  y >= 0 }
    BilevelProblem(
        name="BardFalk1982Ex2",
        source=f"{_BARD_FALK_1982} (Example 2); {_BOLIB}",
        n_x=2, n_y=2, f_star=-3.25,
        cx=[-2, 1], cy=[0.5, 0],
        xl=[0, 0], xu=[2, 2],
        dy=[-4, 1],
        Ax=[[-2, 0], [1, -3], [1, 1]], By=[[1, -1], [0, 1], [0, 0]], b=[-2.5, 2, 2],
        yl=[0, 0],
        x_star=[2, 0], y_star=[1.5, 0],
        notes=(
            "BOLIB lists F* = -3.25 (global) at (2, 0; 1.5, 0); the point (1, 0; 0.5, 1) claimed in "
            "the original paper is not optimal. x1 + x2 <= 2 is a lower-level constraint here "
            "(TuyEtal1993 is the same problem with it in the upper level); the terms x1 + x2 of f are "
            "dropped. x <= (2, 2) derived (not in the source): the maximum of x over the joint "
            "constraint set (an LP)."),
        tags=("linear",),
    ),
    # BenAyedBlair1990a
    #   min  -1.5x - 6y1 - y2   s.t.  0 <= x <= 1
    #   y ∈ argmin { -y1 - 5y2 :  x + 3y1 + y2 <= 5,  2x + y1 + 3y2 <= 5,  y >= 0 }
    BilevelProblem(
        name="BenAyedBlair1990a",
        source=f"{_BEN_AYED_BLAIR_1990}; {_BOLIB}",
        n_x=1, n_y=2, f_star=-2.5,
        cx=[-1.5], cy=[-6, -1],
        xl=[0], xu=[1],
        dy=[-1, -5],
        Ax=[[1], [2]], By=[[3, 1], [1, 3]], b=[5, 5],
        yl=[0, 0],
        x_star=[1], y_star=[0, 1],
        notes="BOLIB lists F* = -2.5 (global) at (1; 0, 1).",
        tags=("linear",),
    ),
    # BenAyedBlair1990b
    #   min  -x - y   s.t.  x >= 0
    #   y ∈ argmin { y :  -4x - 3y <= -19,  x + 2y <= 11,  3x + y <= 13,  y >= 0 }
    BilevelProblem(
        name="BenAyedBlair1990b",
        source=f"{_BEN_AYED_BLAIR_1990}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-6.0,
        cx=[-1], cy=[-1],
        xl=[0], xu=[4],
        dy=[1],
        Ax=[[-4], [1], [3]], By=[[-3], [2], [1]], b=[-19, 11, 13],
        yl=[0],
        x_star=[1], y_star=[5],
        notes=(
            "BOLIB lists F* = -6 (global) at (1; 5). x <= 4 derived (not in the source): the maximum "
            "of x over the joint constraint set (an LP)."),
        tags=("linear",),
    ),
    # BialasKarwan1984a
    #   min  -x - y2   s.t.  x >= 0
    #   y ∈ argmin { -y2 :  x + y1 + y2 <= 3,  -x - y1 + y2 <= -1,  -x + y1 + y2 <= 1,
    #                       x - y1 + y2 <= 1,  y2 <= 0.5,  y >= 0 }
    BilevelProblem(
        name="BialasKarwan1984a",
        source=f"{_BIALAS_KARWAN_1984}; {_BOLIB}",
        n_x=1, n_y=2, f_star=-2.0,
        cx=[-1], cy=[0, -1],
        xl=[0], xu=[2],
        dy=[0, -1],
        Ax=[[1], [-1], [-1], [1]], By=[[1, 1], [-1, 1], [1, 1], [-1, 1]], b=[3, -1, 1, 1],
        yl=[0, 0], yu=[inf, 0.5],
        x_star=[1.5], y_star=[1, 0.5],
        notes=(
            "BOLIB lists F* = -2 (global) at (1.5; 1, 0.5). x <= 2 derived (not in the source): the "
            "maximum of x over the joint constraint set (an LP). For some x the follower (objective "
            "-y2) is indifferent along a segment in y1."),
        tags=("linear", "degenerate"),
    ),
    # BialasKarwan1984b
    #   min  -y   s.t.  x >= 0
    #   y ∈ argmin { y :  -x - 2y <= -10,  x + 2y <= 38,  -x + 2y <= 18,  x - 2y <= 6,
    #                     2x - y <= 21,  y >= 0 }
    BilevelProblem(
        name="BialasKarwan1984b",
        source=f"{_BIALAS_KARWAN_1984}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-11.0,
        cx=[0], cy=[-1],
        xl=[0], xu=[16],
        dy=[1],
        Ax=[[-1], [1], [-1], [1], [2]], By=[[-2], [2], [2], [-2], [-1]], b=[-10, 38, 18, 6, 21],
        yl=[0],
        x_star=[16], y_star=[11],
        notes=(
            "BOLIB lists F* = -11 (global) at (16; 11). x <= 16 derived (not in the source): the "
            "maximum of x over the joint constraint set (an LP). Same constraint set as "
            "AnandalinghamWhite1990."),
        tags=("linear",),
    ),
    # CandlerTownsley1982
    #   min  -8x1 - 4x2 + 4y1 - 40y2 - 4y3   s.t.  x >= 0
    #   y ∈ argmin { x1 + 2x2 + y1 + y2 + 2y3 :  -y1 + y2 + y3 <= 1,
    #                2x1 - y1 + 2y2 - 0.5y3 <= 1,  2x2 + 2y1 - y2 - 0.5y3 <= 1,  y >= 0 }
    BilevelProblem(
        name="CandlerTownsley1982",
        source=f"{_CANDLER_TOWNSLEY_1982}; {_BOLIB}",
        n_x=2, n_y=3, f_star=-29.2,
        cx=[-8, -4], cy=[4, -40, -4],
        xl=[0, 0], xu=[1.5, 0.9],
        dy=[1, 1, 2],
        Ax=[[0, 0], [2, 0], [0, 2]], By=[[-1, 1, 1], [-1, 2, -0.5], [2, -1, -0.5]], b=[1, 1, 1],
        yl=[0, 0, 0],
        x_star=[0, 0.9], y_star=[0, 0.6, 0.4],
        notes=(
            "BOLIB lists F* = -29.2 (global) at (0, 0.9; 0, 0.6, 0.4). The terms x1 + 2x2 of f are "
            "dropped. x <= (1.5, 0.9) derived (not in the source): the maximum of x over the joint "
            "constraint set (an LP). BASBLib ct_1982_01 is the same problem in equality form with "
            "slack variables; BASBLib bf_1982_01 has +4y3 in F."),
        tags=("linear",),
    ),
    # ClarkWesterberg1988
    #   min  x - 4y   (no upper-level constraint)
    #   y ∈ argmin { y :  -2x + y <= 0,  2x + 5y <= 108,  2x - 3y <= -4 }   (y free)
    BilevelProblem(
        name="ClarkWesterberg1988",
        source=f"{_CLARK_WESTERBERG_1988}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-37.0,
        cx=[1], cy=[-4],
        xl=[1], xu=[19],
        dy=[1],
        Ax=[[-2], [2], [2]], By=[[1], [5], [-3]], b=[0, 108, -4],
        x_star=[19], y_star=[14],
        notes=(
            "BOLIB lists F* = -37 (global) at (19; 14). x and y are free in the source; 1 <= x <= 19 "
            "derived (not in the source): the smallest/largest x over the joint constraint set."),
        tags=("linear",),
    ),
    # ClarkWesterberg1990b
    #   min  -x - 3y1 + 2y2   s.t.  0 <= x <= 8
    #   y ∈ argmin { -y1 :  0 <= y1 <= 4,  -2x + y1 + 4y2 <= 16,  8x + 3y1 - 2y2 <= 48,
    #                       -2x + y1 - 3y2 <= -12 }   (y2 free)
    BilevelProblem(
        name="ClarkWesterberg1990b",
        source=f"{_CLARK_WESTERBERG_1990} (Section 3.1); {_BOLIB}",
        n_x=1, n_y=2, f_star=-13.0,
        cx=[-1], cy=[-3, 2],
        xl=[0], xu=[8],
        dy=[-1, 0],
        Ax=[[-2], [8], [-2]], By=[[1, 4], [3, -2], [1, -3]], b=[16, 48, -12],
        yl=[0, -inf], yu=[4, inf],
        x_star=[5], y_star=[4, 2],
        notes=(
            "BOLIB lists F* = -13 (best known value of F, attained) at (5; 4, 2). y2 is free in BOLIB "
            "(BASBLib cw_1990_01 has 0 <= y <= 4). At x = 5 every y2 in [2, 5.5] is a follower "
            "optimum (f = -y1); F* needs the optimistic choice y2 = 2."),
        tags=("linear", "degenerate"),
    ),
    # GlackinEtal2009
    #   min  -2x1 + 4x2 + 3y   s.t.  x1 - x2 <= -1,  x >= 0
    #   y ∈ argmin { -y :  x1 + x2 + y <= 4,  2x1 + 2x2 + y <= 6,  y >= 0 }
    BilevelProblem(
        name="GlackinEtal2009",
        source=f"{_GLACKIN_ETAL_2009}; {_BOLIB}",
        n_x=2, n_y=1, f_star=6.0,
        cx=[-2, 4], cy=[3],
        Gx=[[1, -1]], Gy=[[0]], g=[-1],
        xl=[0, 0], xu=[1, 3],
        dy=[-1],
        Ax=[[1, 1], [2, 2]], By=[[1], [1]], b=[4, 6],
        yl=[0],
        x_star=[1, 2], y_star=[0],
        notes=(
            "BOLIB lists F* = 6 (global) at (1, 2; 0). x <= (1, 3) derived (not in the source): the "
            "maximum of x over the joint constraint set (an LP)."),
        tags=("linear",),
    ),
    # HaurieSavardWhite1990
    #   min  x + 5y   (no upper-level constraint)
    #   y ∈ argmin { -y :  -3x + 2y <= 6,  3x + 4y <= 48,  2x - 5y <= 9,  -x - y <= -8 }   (y free)
    BilevelProblem(
        name="HaurieSavardWhite1990",
        source=f"{_HAURIE_SAVARD_WHITE_1990}; {_BOLIB}",
        n_x=1, n_y=1, f_star=27.0,
        cx=[1], cy=[5],
        xl=[2], xu=[12],
        dy=[-1],
        Ax=[[-3], [3], [2], [-1]], By=[[2], [4], [-5], [-1]], b=[6, 48, 9, -8],
        x_star=[12], y_star=[3],
        notes=(
            "BOLIB lists F* = 27 (global) at (12; 3). x and y are free in the source; 2 <= x <= 12 "
            "derived (not in the source): the smallest/largest x over the joint constraint set."),
        tags=("linear",),
    ),
    # HuHuangZhang2009
    #   min  -4x - y1 - y2   s.t.  x >= 0
    #   y ∈ argmin { -x - 3y1 :  x + y1 + y2 <= 25/9,  x + y2 <= 2,  y1 + y2 <= 8/9,  y >= 0 }
    BilevelProblem(
        name="HuHuangZhang2009",
        source=f"{_HU_HUANG_ZHANG_2009}; {_BOLIB}",
        n_x=1, n_y=2, f_star=-76 / 9,
        cx=[-4], cy=[-1, -1],
        xl=[0], xu=[2],
        dy=[-3, 0],
        Ax=[[1], [1], [0]], By=[[1, 1], [0, 1], [1, 1]], b=[25 / 9, 2, 8 / 9],
        yl=[0, 0],
        x_star=[17 / 9], y_star=[8 / 9, 0],
        notes=(
            "BOLIB lists F* = -76/9 (global) at (17/9; 8/9, 0) (BOLIB corrects a typo of the paper: x "
            "+ y2 <= 2, not x + y1 <= 2). x <= 2 derived (not in the source): the maximum of x over "
            "the joint constraint set (an LP). DISCREPANCY: the listed point is consistent but not "
            "optimal for this formulation: at x = 2 the follower's unique response is y = (7/9, 0) "
            "(it maximises y1 with y1 + y2 <= 25/9 - x and x + y2 <= 2), giving F = -79/9 = -8.7778 < "
            "-76/9 = -8.4444 (by hand: F = -3x - 25/9 on 17/9 <= x <= 2; confirmed by a KKT/MILP "
            "check)."),
        tags=("linear",),
    ),
    # LanWenShihLee2007
    #   min  2x - 11y   s.t.  x >= 0
    #   y ∈ argmin { x + 3y :  x - 2y <= 4,  2x - y <= 24,  3x + 4y <= 96,  x + 7y <= 126,
    #                          -4x + 5y <= 65,  -x - 4y <= -8,  y >= 0 }
    BilevelProblem(
        name="LanWenShihLee2007",
        source=f"{_LAN_ETAL_2007}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-85.0855,
        cx=[2], cy=[-11],
        xl=[0], xu=[192 / 11],
        dy=[3],
        Ax=[[1], [2], [3], [1], [-4], [-1]], By=[[-2], [-1], [4], [7], [5], [-4]],
        b=[4, 24, 96, 126, 65, -8],
        yl=[0],
        x_star=[17.45], y_star=[10.908],
        notes=(
            "BOLIB lists F* = -85.0855 (best known, status 2) at (17.45; 10.908). DISCREPANCY: y = "
            "10.908 is not the follower's response at x = 17.45 (the unique response is y = 2x - 24 = "
            "10.9; f = x + 3y is 50.174 at the listed point, 50.15 at the response) and F = -85.088 "
            "at the listed point, 3e-5 relative off the listed value. The optimistic optimum of this "
            "formulation is x = 192/11, y = 120/11, F = -936/11 = -85.0909 (by hand: F = 264 - 20x on "
            "the branch y = 2x - 24, which ends where 3x + 4y <= 96 becomes active; confirmed by a "
            "KKT/MILP check). x <= 192/11 derived (not in the source): the largest x over the joint "
            "constraint set."),
        tags=("linear", "listed-point-mismatch"),
    ),
    # LiuHart1994
    #   min  -x - 3y   s.t.  x >= 0
    #   y ∈ argmin { y :  -x + y <= 3,  x + 2y <= 12,  4x - y <= 12,  y >= 0 }
    BilevelProblem(
        name="LiuHart1994",
        source=f"{_LIU_HART_1994}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-16.0,
        cx=[-1], cy=[-3],
        xl=[0], xu=[4],
        dy=[1],
        Ax=[[-1], [1], [4]], By=[[1], [2], [-1]], b=[3, 12, 12],
        yl=[0],
        x_star=[4], y_star=[4],
        notes=(
            "BOLIB lists F* = -16 (global) at the reported point (4; 4). x <= 4 derived (not in the "
            "source): the maximum of x over the joint constraint set (an LP)."),
        tags=("linear",),
    ),
    # MershaDempe2006Ex2
    #   min  -x - 2y   s.t.  -2x + 3y <= 12,  x + y <= 14          (coupled; x free in the source)
    #   y ∈ argmin { -y :  -3x + y <= -3,  3x + y <= 30 }   (y free)
    BilevelProblem(
        name="MershaDempe2006Ex2",
        source=f"{_MERSHA_DEMPE_2006} (Example 2); {_BOLIB}",
        n_x=1, n_y=1, f_star=-20.0,
        cx=[-1], cy=[-2],
        Gx=[[-2], [1]], Gy=[[3], [1]], g=[12, 14],
        xl=[0], xu=[10],
        dy=[-1],
        Ax=[[-3], [3]], By=[[1], [1]], b=[-3, 30],
        x_star=[8], y_star=[6],
        notes=(
            "BOLIB lists F* = -20 (global) at (8; 6). x and y are free in the source and the joint "
            "constraint set is unbounded in x. The follower's unique response is y(x) = min(3x - 3, "
            "30 - 3x); the coupled constraints leave the branches x <= 3 (F = 6 - 7x) and x >= 8 (F = "
            "5x - 60). The box 0 <= x <= 10 is chosen here (not in the source): it keeps both "
            "branches and the optimum x = 8, and cuts only points with F >= -15 or F > -10."),
        tags=("linear", "coupled"),
    ),
    # TuyEtal1993
    #   min  -2x1 + x2 + 0.5y1   s.t.  x1 + x2 <= 2,  x >= 0
    #   y ∈ argmin { -4y1 + y2 :  -2x1 + y1 - y2 <= -2.5,  x1 - 3x2 + y2 <= 2,  y >= 0 }
    BilevelProblem(
        name="TuyEtal1993",
        source=f"{_TUY_ETAL_1993}; {_BOLIB}",
        n_x=2, n_y=2, f_star=-3.25,
        cx=[-2, 1], cy=[0.5, 0],
        Gx=[[1, 1]], Gy=[[0, 0]], g=[2],
        xl=[0, 0], xu=[2, 2],
        dy=[-4, 1],
        Ax=[[-2, 0], [1, -3]], By=[[1, -1], [0, 1]], b=[-2.5, 2],
        yl=[0, 0],
        x_star=[2, 0], y_star=[1.5, 0],
        notes=(
            "BOLIB lists F* = -3.25 at the reported point (2, 0; 1.5, 0). x <= (2, 2) from x1 + x2 <= "
            "2. Same as BardFalk1982Ex2 with x1 + x2 <= 2 in the upper level."),
        tags=("linear",),
    ),
    # TuyEtal1994
    #   min  3x1 + 2x2 + y1 + y2   s.t.  x1 + x2 + y1 + y2 <= 4 (coupled),  x >= 0
    #   y ∈ argmin { 4y1 + y2 :  -3x1 - 5x2 - 6y1 - 2y2 <= -15,  y >= 0 }
    BilevelProblem(
        name="TuyEtal1994",
        source=f"{_TUY_ETAL_1994}; {_BOLIB}",
        n_x=2, n_y=2, f_star=6.0,
        cx=[3, 2], cy=[1, 1],
        Gx=[[1, 1]], Gy=[[1, 1]], g=[4],
        xl=[0, 0], xu=[3, 4],
        dy=[4, 1],
        Ax=[[-3, -5]], By=[[-6, -2]], b=[-15],
        yl=[0, 0],
        x_star=[0, 3], y_star=[0, 0],
        notes=(
            "BOLIB lists F* = 6 at the reported global point (0, 3; 0, 0). x <= (3, 4) derived (not "
            "in the source): the maximum of x over the joint constraint set (an LP)."),
        tags=("linear", "coupled"),
    ),
    # TuyEtal2007Ex3  (x ∈ R^10, y ∈ R^6)
    #   min  c·x - d·y   s.t.  A x + B y >= (-30, 134)  (coupled),  x >= 0
    #   y ∈ argmin { (3, -2, -3, -3, 1, 6)·y :  C x + D y >= (-83, -92, -168, 96, 133, -89, 192),  y >= 0 }
    #   with c = (12, -1, -12, 13, 0, 2, 0, -5, 6, -11), d = (5, 6, 4, 7, 0, 0) and A, B, C, D
    #   as below (BOLIB writes G = -Ax - By + (-30, 134) <= 0, g = -Cx - Dy + (...) <= 0).
    BilevelProblem(
        name="TuyEtal2007Ex3",
        source=f"{_TUY_ETAL_2007} (Example 3); {_BOLIB}",
        n_x=10, n_y=6, f_star=-467.4613,
        cx=[12, -1, -12, 13, 0, 2, 0, -5, 6, -11], cy=[-5, -6, -4, -7, 0, 0],
        Gx=[[-2, -3, 14, -2, -9, 2, 1, -4, 0, 2],
            [1, -7, 13, 0, -15, 2, -8, -4, 4, -7]],
        Gy=[[-3, 9, -2, -8, 1, -8],
            [-6, -2, 6, 2, 8, -4]],
        g=[30, -134],
        xl=[0] * 10, xu=[10] * 10,
        dy=[3, -2, -3, -3, 1, 6],
        Ax=[[-5, 7, 4, -2, 3, -9, 9, -1, -3, 11],
            [6, -5, -3, -2, 8, 5, 8, -3, 7, 3],
            [-6, -4, 2, 0, -2, 3, -3, 2, 2, 4],
            [5, 6, 0, -4, 3, -8, 1, 0, 2, -3],
            [11, -11, 4, 5, -10, -6, 14, -7, -11, -3],
            [9, -12, -4, -10, 2, 8, 5, -11, -4, 1],
            [7, -2, -6, 0, -11, 1, -2, -2, -1, -2]],
        By=[[10, -9, -6, 4, 6, -3],
            [-5, -7, 1, 1, -6, 4],
            [10, 5, 6, -4, 3, -1],
            [-4, -3, -4, -4, 1, 1],
            [-10, -7, 7, 7, 2, 7],
            [2, -5, 10, 1, 4, 5],
            [-5, -5, -6, -5, 1, -12]],
        b=[83, 92, 168, -96, -133, 89, -192],
        yl=[0] * 6, yu=[10] * 6,
        x_star=[0, 8.170692, 10, 0, 7.278940, 3.042311, 0, 10, 0.001982, 9.989153],
        y_star=[3.101280, 10, 10, 10, 0, 9.846133],
        notes=(
            "BOLIB lists F* = -467.4613 (best known, status 2, f* = -11.6194) at the point below, "
            "from Tuy et al. (2007). BOLIB's file bounds only x >= 0, y >= 0; then the joint constraint "
            "set is unbounded in every x_i and the follower's response runs off (optimum about -4643 "
            "with x <= 10, where the listed y is not the follower's response: its LP value there is "
            "-985.33, the listed y gives -11.6194). The listed point (x3 = x8 = 10, y2 = y3 = y4 = 10) "
            "shows that the original bounds x and y by 10: this entry has 0 <= x <= 10 and 0 <= y <= 10 "
            "(ASSUMED from the listed point, not from BOLIB's file). With them the listed y is the "
            "follower's response up to the rounding of the listed digits (lower-level rows 1 and 4 "
            "violated by 3e-6 and 2e-6), and the optimum is below the listed best-known value "
            "(see gamecore/cases/bilevel/verified.py)."),
        tags=("linear", "coupled", "listed-point-mismatch"),
    ),
    # VisweswaranEtal1996
    #   min  x + y   s.t.  x >= 0
    #   y ∈ argmin { -5x - y :  -x - 0.5y <= -2,  -0.25x + y <= 2,  x + 0.5y <= 8,
    #                            x - 2y <= 2,  y >= 0 }
    BilevelProblem(
        name="VisweswaranEtal1996",
        source=f"{_VISWESWARAN_ETAL_1996}; {_BOLIB}",
        n_x=1, n_y=1, f_star=28 / 9,
        cx=[1], cy=[1],
        xl=[0], xu=[6.8],
        dy=[-1],
        Ax=[[-1], [-0.25], [1], [1]], By=[[-0.5], [1], [0.5], [-2]], b=[-2, 2, 8, 2],
        yl=[0],
        x_star=[8 / 9], y_star=[20 / 9],
        notes=(
            "BOLIB lists F* = 28/9 at the reported point (8/9; 20/9). x <= 6.8 derived (not in the "
            "source): the maximum of x over the joint constraint set (an LP). Same as BASBLib "
            "b_1984_01 without its bounds <= 10."),
        tags=("linear",),
    ),
    # WangJiaoLi2005
    #   min  -100x - 1000y1   s.t.  0 <= x <= 1
    #   y ∈ argmin { -y1 - y2 :  x + y1 - y2 <= 1,  y1 + y2 <= 1,  y >= 0 }
    BilevelProblem(
        name="WangJiaoLi2005",
        source=f"{_WANG_JIAO_LI_2005}; {_BOLIB}",
        n_x=1, n_y=2, f_star=-1000.0,
        cx=[-100], cy=[-1000, 0],
        xl=[0], xu=[1],
        dy=[-1, -1],
        Ax=[[1], [0]], By=[[1, -1], [1, 1]], b=[1, 1],
        yl=[0, 0],
        notes=(
            "BOLIB lists F* = -1000 (f* = -1) without a point; x = 0, y = (1, 0) attains it. y >= 0 "
            "as in BOLIB's formula document; BOLIB's MATLAB file omits y >= 0 (same optimum). The "
            "follower's response is not unique (every y with y1 + y2 = 1, y1 - y2 <= 1 - x); the "
            "optimistic choice matters."),
        tags=("linear", "degenerate"),
    ),
)

# ====================================== BOLIB, nonlinear and simple examples with an LP lower level
_BOLIB_LP_FOLLOWER: tuple[BilevelProblem, ...] = (
    # Bard1991Ex1
    #   min  x + y2   s.t.  2 <= x <= 4
    #   y ∈ argmin { 2y1 + x·y2 :  x - y1 - y2 <= -4,  y >= 0 }
    BilevelProblem(
        name="Bard1991Ex1",
        source=f"{_BARD_1991} (Example 2.1); {_BOLIB}",
        n_x=1, n_y=2, f_star=2.0,
        cx=[1], cy=[0, 1],
        xl=[2], xu=[4],
        dy=[2, 0], R=[[0, 1]],
        Ax=[[1]], By=[[-1, -1]], b=[-4],
        yl=[0, 0],
        x_star=[2], y_star=[6, 0],
        notes=(
            "BOLIB lists F* = 2 (global, f* = 12) at (2; 6, 0). The follower objective has the "
            "bilinear term x*y2. At x = 2 every y with y1 + y2 = 6 is a follower optimum; F* needs "
            "the optimistic choice y2 = 0. Same as BASBLib b_1991_02 without its bounds y <= 10."),
        tags=("lp-follower", "bilinear-follower", "degenerate"),
    ),
    # BardBook1998
    #   min  (y1 - x1 + 20)^2 + (y2 - x2 + 20)^2   s.t.  0 <= x <= 50
    #   y ∈ argmin { 2x1 + 2x2 - 3y1 - 3y2 - 60 :  x1 + x2 + y1 - 2y2 <= 40,  2y1 - x1 <= -10,
    #                2y2 - x2 <= -10,  -10 <= y <= 20 }
    BilevelProblem(
        name="BardBook1998",
        source=f"{_BARD_1998}; {_BOLIB}",
        n_x=2, n_y=2, f_star=-800.0,
        cx=[-40, -40], cy=[40, 40],
        Hxx=[[2, 0], [0, 2]], Hxy=[[-2, 0], [0, -2]], Hyy=[[2, 0], [0, 2]],
        xl=[0, 0], xu=[50, 50],
        dy=[-3, -3],
        Ax=[[1, 1], [-1, 0], [0, -1]], By=[[1, -2], [2, 0], [0, 2]], b=[40, -10, -10],
        yl=[-10, -10], yu=[20, 20],
        x_star=[25, 30], y_star=[5, 10],
        notes=(
            "BOLIB lists F* = 0 (global, f* = 5) at (25, 30; 5, 10). F is stored without its constant "
            "800 ((y1 - x1 + 20)^2 + (y2 - x2 + 20)^2 = stored F + 800), so f_star = 0 - 800 = -800; "
            "the terms 2x1 + 2x2 - 60 of f are dropped. Leader quadratic, follower linear, as in "
            "BOLIB's file."),
        tags=("lp-follower", "quadratic-leader"),
    ),
    # CalamaiVicente1994a  (rho = 1, as in the BOLIB file)
    #   min  (x - 1)^2/2 + y^2/2   (no upper-level constraint)
    #   y ∈ argmin { y/2 - x·y :  x - y <= 1,  -x - y <= -1,  x + y <= rho }   (y free)
    BilevelProblem(
        name="CalamaiVicente1994a",
        source=f"{_CALAMAI_VICENTE_1994}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-0.5,
        cx=[-1], cy=[0],
        Hxx=[[1]], Hyy=[[1]],
        xl=[-1], xu=[1],
        dy=[0.5], R=[[-1]],
        Ax=[[1], [-1], [1]], By=[[-1], [-1], [1]], b=[1, -1, 1],
        x_star=[1], y_star=[0],
        notes=(
            "BOLIB's file fixes the generator parameter rho = 1 and lists F* = 0 (global) at (1; 0). "
            "F is stored without its constant 1/2, so f_star = -0.5. With rho = 1 the lower-level "
            "feasible set is the single point y = 1 - x (x <= 1). x is free in the source; F >= (x - "
            "1)^2 / 2 > 0 for x < 1, so the box -1 <= x <= 1 chosen here (not in the source) keeps "
            "the optimum."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower"),
    ),
    # DempeEtal2012
    #   min  x   s.t.  -1 <= x <= 1
    #   y ∈ argmin { x·y :  0 <= y <= 1 }
    BilevelProblem(
        name="DempeEtal2012",
        source=f"{_DEMPE_ETAL_2012}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-1.0,
        cx=[1], cy=[0],
        xl=[-1], xu=[1],
        R=[[1]],
        yl=[0], yu=[1],
        x_star=[-1], y_star=[1],
        notes=(
            "BOLIB lists F* = -1 (global) at (-1; 1). The follower (objective x*y) is indifferent at "
            "x = 0."),
        tags=("lp-follower", "bilinear-follower", "degenerate"),
    ),
    # DempeFranke2011Ex41
    #   min  x1 + y1^2 + y2^2   s.t.  -1 <= x1 <= 1,  -1 <= x2 <= -1
    #   y ∈ argmin { x1·y1 + x2·y2 :  -2y1 + y2 <= 0,  y1 <= 2,  0 <= y2 <= 2 }
    BilevelProblem(
        name="DempeFranke2011Ex41",
        source=f"{_DEMPE_FRANKE_2011} (Example 4.1); {_BOLIB}",
        n_x=2, n_y=2, f_star=5.0,
        cx=[1, 0], cy=[0, 0],
        Hyy=[[2, 0], [0, 2]],
        xl=[-1, -1], xu=[1, -1],
        R=[[1, 0], [0, 1]],
        Ax=[[0, 0]], By=[[-2, 1]], b=[0],
        yl=[-inf, 0], yu=[2, 2],
        x_star=[0, -1], y_star=[1, 2],
        notes=(
            "BOLIB lists F* = 5 (global, f* = -2) at (0, -1; 1, 2). BOLIB's upper-level constraints "
            "fix x2 = -1 (-1 - x2 <= 0 and 1 + x2 <= 0). At x1 = 0 every y1 in [1, 2] is a follower "
            "optimum; F* needs the optimistic choice y1 = 1 and is attained only at x1 = 0."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower", "degenerate"),
    ),
    # DempeFranke2011Ex42
    #   min  x1 + (y1 - 1)^2 + y2^2   s.t.  -1 <= x1 <= 1,  -1 <= x2 <= -1
    #   y ∈ argmin { x1·y1 + x2·y2 :  -y1 + y2 <= 1,  y1 + y2 <= 3.5,  y2 <= 2 }   (y free)
    BilevelProblem(
        name="DempeFranke2011Ex42",
        source=f"{_DEMPE_FRANKE_2011} (Example 4.2); {_BOLIB}",
        n_x=2, n_y=2, f_star=1.13,
        cx=[1, 0], cy=[-2, 0],
        Hyy=[[2, 0], [0, 2]],
        xl=[-1, -1], xu=[1, -1],
        R=[[1, 0], [0, 1]],
        Ax=[[0, 0], [0, 0]], By=[[-1, 1], [1, 1]], b=[1, 3.5],
        yu=[inf, 2],
        x_star=[1, -1], y_star=[0, 1],
        notes=(
            "BOLIB lists F* = 2.13 (f* = -3.5). F is stored without its constant 1 ((y1 - 1)^2 = y1^2 "
            "- 2y1 + 1), so f_star = 2.13 - 1 = 1.13. DISCREPANCY: BOLIB's comment gives the point "
            "(1, -1; 0, 1), where F = 3 (stored 2), not 2.13. 2.13 is the rounding of 2.125 = F at x "
            "= (-1, -1), y = (2.25, 1.25): the optimistic choice on the follower's optimal set {y1 + "
            "y2 = 3.5, y2 <= 2} at x1 = -1 (f = -3.5 as listed); a grid check over x1 finds nothing "
            "lower. At x1 = 1 and x1 = -1 the follower's optimal set is unbounded."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower", "degenerate",
              "listed-point-mismatch"),
    ),
    # DempeFranke2014Ex38
    #   min  2x1 + x2 + 2y1 - y2   s.t.  -1 <= x1 <= 1,  -1 <= x2 <= -0.75
    #   y ∈ argmin { x1·y1 + x2·y2 :  -2y1 + y2 <= 0,  y1 <= 2,  0 <= y2 <= 2 }
    BilevelProblem(
        name="DempeFranke2014Ex38",
        source=f"{_DEMPE_FRANKE_2014} (Example 3.8); {_BOLIB}",
        n_x=2, n_y=2, f_star=-1.0,
        cx=[2, 1], cy=[2, -1],
        xl=[-1, -1], xu=[1, -0.75],
        R=[[1, 0], [0, 1]],
        Ax=[[0, 0]], By=[[-2, 1]], b=[0],
        yl=[-inf, 0], yu=[2, 2],
        x_star=[-1, -1], y_star=[2, 2],
        notes=(
            "BOLIB lists F* = -1 (global, f* = -4) at (-1, -1; 2, 2). (0, -1; 1, 2) is a second "
            "optimal solution with the optimistic choice y1 = 1 (at x1 = 0 every y1 in [1, 2] is a "
            "follower optimum)."),
        tags=("lp-follower", "bilinear-follower", "degenerate"),
    ),
    # DempeLohse2011Ex31a
    #   min  (x1 - 0.5)^2 + (x2 - 0.5)^2 - 3y1 - 3y2   (no upper-level constraint)
    #   y ∈ argmin { x1·y1 + x2·y2 :  y1 + y2 <= 2,  -y1 + y2 <= 0,  y >= 0 }
    BilevelProblem(
        name="DempeLohse2011Ex31a",
        source=f"{_DEMPE_LOHSE_2011} (Example 3.1); {_BOLIB}",
        n_x=2, n_y=2, f_star=-6.0,
        cx=[-1, -1], cy=[-3, -3],
        Hxx=[[2, 0], [0, 2]],
        xl=[-1, -1], xu=[2, 2],
        R=[[1, 0], [0, 1]],
        Ax=[[0, 0], [0, 0]], By=[[1, 1], [-1, 1]], b=[2, 0],
        yl=[0, 0],
        x_star=[0, 0], y_star=[1, 1],
        notes=(
            "BOLIB lists F* = -5.5 (global) at (0, 0; 1, 1), BOLIB's correction of the paper's claim "
            "(0.5, 0.5; 1, 1), which is not bilevel feasible. F is stored without its constant 0.5, "
            "so f_star = -6. DISCREPANCY: the listed value is not optimal: at x = (0, 0.5) the "
            "follower's objective is 0.5*y2, its optimal set is {y2 = 0, 0 <= y1 <= 2}, and the "
            "optimistic choice y = (2, 0) gives F = 0.25 - 6 = -5.75 (stored -6.25) < -5.5 (grid "
            "check). x is free in the source; since y1 + y2 <= 2, F >= (x1 - 0.5)^2 + (x2 - 0.5)^2 - "
            "6, so every x with F <= -5.5 lies in the box [-1, 2]^2 chosen here."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower", "degenerate"),
    ),
    # DempeLohse2011Ex31b
    #   min  (x1 - 0.5)^2 + (x2 - 0.5)^2 + x3^2 - 3y1 - 3y2 - 6y3   (no upper-level constraint)
    #   y ∈ argmin { x1·y1 + x2·y2 + x3·y3 :  y1 + y2 + y3 <= 2,  -y1 + y2 <= 0,  y >= 0 }
    BilevelProblem(
        name="DempeLohse2011Ex31b",
        source=f"{_DEMPE_LOHSE_2011} (Example 3.1, 3-dimensional variant); {_BOLIB}",
        n_x=3, n_y=3, f_star=-12.5,
        cx=[-1, -1, 0], cy=[-3, -3, -6],
        Hxx=[[2, 0, 0], [0, 2, 0], [0, 0, 2]],
        xl=[-1, -1, -1], xu=[2, 2, 2],
        R=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        Ax=[[0, 0, 0], [0, 0, 0]], By=[[1, 1, 1], [-1, 1, 0]], b=[2, 0],
        yl=[0, 0, 0],
        x_star=[0.5, 0.5, 0], y_star=[0, 0, 2],
        notes=(
            "BOLIB lists F* = -12 at (0.5, 0.5, 0; 0, 0, 2), its suggested global point (the paper's "
            "(0.5, 0.5, 0; 1, 1, 0) is local). F is stored without its constant 0.5, so f_star = "
            "-12.5. -12 is optimal: F >= |x - (0.5, 0.5, 0)|^2 - 12 since 3y1 + 3y2 + 6y3 <= 12; so "
            "the optimum needs x = (0.5, 0.5, 0), and the box [-1, 2]^3 chosen here (x is free in the "
            "source) does not change it. At x3 = 0 the follower is indifferent in y3."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower", "degenerate"),
    ),
    # FrankeEtal2018Ex511  (simple bilevel program: x appears nowhere)
    #   min  0.5(y1 - 2)^2 + 0.5y2^2 + 0.5(y3 - 2)^2
    #   y ∈ argmin { y1 + y2 + y3 :  -y1 - y2 <= 0,  -y1 + y2 <= 0,  y1 >= 0,  y3 >= 0 }
    BilevelProblem(
        name="FrankeEtal2018Ex511",
        source=f"{_FRANKE_ETAL_2018} (Example 5.11); {_BOLIB}",
        n_x=1, n_y=3, f_star=-1.0,
        cx=[0], cy=[-2, 0, -2],
        Hyy=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        xl=[0], xu=[0],
        dy=[1, 1, 1],
        Ax=[[0], [0]], By=[[-1, -1, 0], [-1, 1, 0]], b=[0, 0],
        yl=[0, -inf, 0],
        x_star=[0], y_star=[1, -1, 0],
        notes=(
            "Simple bilevel program: x appears nowhere (BOLIB has n_x = 1 with no constraint on x), "
            "so the box fixes x = 0. BOLIB lists F* = 3 (global) at y = (1, -1, 0). F is stored "
            "without its constant 4, so f_star = -1. The follower's optimal set is {(t, -t, 0): t >= "
            "0}."),
        tags=("lp-follower", "quadratic-leader", "degenerate"),
    ),
    # LamparielloSagratella2017Ex31
    #   min  x^2 + y^2   s.t.  x >= 1
    #   y ∈ argmin { y :  -x - y <= -1 }   (y free)
    BilevelProblem(
        name="LamparielloSagratella2017Ex31",
        source=f"{_LAMPARIELLO_SAGRATELLA_2017} (Example 3.1); {_BOLIB}",
        n_x=1, n_y=1, f_star=1.0,
        cx=[0], cy=[0],
        Hxx=[[2]], Hyy=[[2]],
        xl=[1], xu=[2],
        dy=[1],
        Ax=[[-1]], By=[[-1]], b=[-1],
        x_star=[1], y_star=[0],
        notes=(
            "BOLIB lists F* = 1 (global) at (1; 0). x has no upper bound in the source; the response "
            "is y = 1 - x, so F = x^2 + (1 - x)^2 > 1 for x > 1 and the box 1 <= x <= 2 chosen here "
            "keeps the optimum."),
        tags=("lp-follower", "quadratic-leader"),
    ),
    # LamparielloSagratella2017Ex33
    #   min  x^2 + (y1 + y2)^2   s.t.  x >= 0.5
    #   y ∈ argmin { y1 :  -x - y1 - y2 <= -1,  y >= 0 }
    BilevelProblem(
        name="LamparielloSagratella2017Ex33",
        source=f"{_LAMPARIELLO_SAGRATELLA_2017} (Example 3.3); {_BOLIB}",
        n_x=1, n_y=2, f_star=0.5,
        cx=[0], cy=[0, 0],
        Hxx=[[2]], Hyy=[[2, 2], [2, 2]],
        xl=[0.5], xu=[2],
        dy=[1, 0],
        Ax=[[-1]], By=[[-1, -1]], b=[-1],
        yl=[0, 0],
        x_star=[0.5], y_star=[0, 0.5],
        notes=(
            "BOLIB lists F* = 0.5 (global) at (0.5; 0, 0.5). At x = 0.5 every y with y1 = 0, y2 >= "
            "0.5 is a follower optimum; F* needs the optimistic choice y2 = 0.5. x has no upper bound "
            "in the source; F >= x^2 > 1 for x > 1, so the box 0.5 <= x <= 2 chosen here keeps the "
            "optimum."),
        tags=("lp-follower", "quadratic-leader", "degenerate"),
    ),
    # LamparielloSagratella2017Ex35
    #   min  x^2 + y^2   s.t.  -1 <= x <= 1
    #   y ∈ argmin { -y :  2x + y <= 2,  0 <= y <= 1 }
    BilevelProblem(
        name="LamparielloSagratella2017Ex35",
        source=f"{_LAMPARIELLO_SAGRATELLA_2017} (Example 3.5); {_BOLIB}",
        n_x=1, n_y=1, f_star=0.8,
        cx=[0], cy=[0],
        Hxx=[[2]], Hyy=[[2]],
        xl=[-1], xu=[1],
        dy=[-1],
        Ax=[[2]], By=[[1]], b=[2],
        yl=[0], yu=[1],
        x_star=[0.8], y_star=[0.4],
        notes="BOLIB lists F* = 0.8 (global) at (4/5; 2/5).",
        tags=("lp-follower", "quadratic-leader"),
    ),
    # MitsosBarton2006Ex31  (x appears nowhere)
    #   min  y   s.t.  -1 <= y <= 1 (upper level)
    #   y ∈ argmin { -y :  -1 <= y <= 1 }
    BilevelProblem(
        name="MitsosBarton2006Ex31",
        source=f"{_MITSOS_BARTON_2006} (Example 3.1, mb_0_1_01); {_BOLIB}",
        n_x=1, n_y=1, f_star=1.0,
        cx=[0], cy=[1],
        Gx=[[0], [0]], Gy=[[-1], [1]], g=[1, 1],
        xl=[0], xu=[0],
        dy=[-1],
        yl=[-1], yu=[1],
        x_star=[0], y_star=[1],
        notes=(
            "BOLIB lists F* = 1 (global) at y = 1, the follower's unique response. x appears nowhere "
            "(BOLIB has n_x = 1 with no constraint on x), so the box fixes x = 0. The upper-level "
            "constraints -1 <= y <= 1 are stored as (coupled) rows. Same problem as BASBLib "
            "mb_2007_01."),
        tags=("linear", "coupled"),
    ),
    # MorganPatrone2006a
    #   min  -x - y   s.t.  -0.5 <= x <= 0.5
    #   y ∈ argmin { x·y :  -1 <= y <= 1 }
    BilevelProblem(
        name="MorganPatrone2006a",
        source=f"{_MORGAN_PATRONE_2006}; {_BOLIB}",
        n_x=1, n_y=1, f_star=-1.0,
        cx=[-1], cy=[-1],
        xl=[-0.5], xu=[0.5],
        R=[[1]],
        yl=[-1], yu=[1],
        x_star=[0], y_star=[1],
        notes=(
            "BOLIB lists F* = -1 (global) at (0; 1). At x = 0 the follower (objective x*y) is "
            "indifferent; F* needs the optimistic choice y = 1 and is attained only at x = 0."),
        tags=("lp-follower", "bilinear-follower", "degenerate"),
    ),
    # TuyEtal2007
    #   min  x^2 + y^2   s.t.  x >= 0,  y >= 0 (coupled)
    #   y ∈ argmin { -y :  3x + y <= 15,  x + y <= 7,  x + 3y <= 15 }   (y free)
    BilevelProblem(
        name="TuyEtal2007",
        source=f"{_TUY_ETAL_2007} (Example 1); {_BOLIB}",
        n_x=1, n_y=1, f_star=22.5,
        cx=[0], cy=[0],
        Hxx=[[2]], Hyy=[[2]],
        Gx=[[0]], Gy=[[-1]], g=[0],
        xl=[0], xu=[5],
        dy=[-1],
        Ax=[[3], [1], [1]], By=[[1], [1], [3]], b=[15, 7, 15],
        x_star=[4.492188], y_star=[1.523438],
        notes=(
            "BOLIB lists F* = 22.5 (global, f* = -1.5) at the approximate point (4.492188; 1.523438) "
            "from Tuy et al. (2007), where F = 22.5006 and 3x + y <= 15 is violated by 2e-6. The "
            "exact optima are (1.5; 4.5) and (4.5; 1.5), F = 22.5 (BASBLib tmh_2007_01 lists (1.5; "
            "4.5)). x <= 5 derived (not in the source): from 3x + y <= 15 with the upper-level y >= "
            "0."),
        tags=("lp-follower", "quadratic-leader", "coupled"),
    ),
)

# ============================================================== BASBLib (LP-LP and LP lower levels)
_BASBLIB_PROBLEMS: tuple[BilevelProblem, ...] = (
    # as_2013_01
    #   min  -x - y   s.t.  -10 <= x <= 10
    #   y ∈ argmin { y :  x - y <= 0,  y <= 0,  -10 <= y <= 10 }
    BilevelProblem(
        name="as_2013_01",
        source=f"{_ALLENDE_STILL_2013} (Example 3.1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=0.0,
        cx=[-1], cy=[-1],
        xl=[-10], xu=[10],
        dy=[1],
        Ax=[[1], [0]], By=[[-1], [1]], b=[0, 0],
        yl=[-10], yu=[10],
        x_star=[0], y_star=[0],
        notes="BASBLib lists F* = 0 (f* = 0) at (0; 0). For x > 0 the follower is infeasible.",
        tags=("linear",),
    ),
    # aw_1990_01
    #   min  -x - 3y   s.t.  0 <= x <= 50
    #   y ∈ argmin { -x + 3y :  -x - 2y <= -10,  x - 2y <= 6,  2x - y <= 21,  x + 2y <= 38,
    #                            -x + 2y <= 18,  0 <= y <= 50 }
    BilevelProblem(
        name="aw_1990_01",
        source=f"{_ANANDALINGAM_WHITE_1990} (Example E1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=-49.0,
        cx=[-1], cy=[-3],
        xl=[0], xu=[50],
        dy=[3],
        Ax=[[-1], [1], [2], [1], [-1]], By=[[-2], [-2], [-1], [2], [2]], b=[-10, 6, 21, 38, 18],
        yl=[0], yu=[50],
        x_star=[16], y_star=[11],
        notes=(
            "BASBLib lists F* = -49 (f* = 17) at (16; 11). Same as BOLIB AnandalinghamWhite1990 with "
            "the bounds x, y <= 50."),
        tags=("linear",),
    ),
    # b_1984_01
    #   min  x + y   s.t.  0 <= x <= 10
    #   y ∈ argmin { -5x - y :  -x - 0.5y <= -2,  -0.25x + y <= 2,  x + 0.5y <= 8,
    #                            x - 2y <= 2,  0 <= y <= 10 }
    BilevelProblem(
        name="b_1984_01",
        source=f"{_BARD_1984} (Example 1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=28 / 9,
        cx=[1], cy=[1],
        xl=[0], xu=[10],
        dy=[-1],
        Ax=[[-1], [-0.25], [1], [1]], By=[[-0.5], [1], [0.5], [-2]], b=[-2, 2, 8, 2],
        yl=[0], yu=[10],
        x_star=[8 / 9], y_star=[20 / 9],
        notes=(
            "BASBLib lists F* = 3.111, x* = 0.889, y* = 2.222 (three decimals); stored exactly as "
            "28/9, 8/9, 20/9 (the optimum by hand, as BOLIB lists it for the same problem "
            "VisweswaranEtal1996)."),
        tags=("linear",),
    ),
    # b_1991_01
    #   min  -x + 10y1 - y2   s.t.  0 <= x <= 10
    #   y ∈ argmin { -y1 - y2 :  x + y1 <= 1,  x + y2 <= 1,  y1 + y2 <= 1,  0 <= y <= 10 }
    BilevelProblem(
        name="b_1991_01",
        source=f"{_BARD_1991} (Example 2.2); {_BASBLIB}",
        n_x=1, n_y=2, f_star=-1.0,
        cx=[-1], cy=[10, -1],
        xl=[0], xu=[10],
        dy=[-1, -1],
        Ax=[[1], [1], [0]], By=[[1, 0], [0, 1], [1, 1]], b=[1, 1, 1],
        yl=[0, 0], yu=[10, 10],
        x_star=[1], y_star=[0, 0],
        notes=(
            "BASBLib lists F* = -1 (f* = 0) at (1; 0, 0), where the follower's response is unique, "
            "and notes that x = 0, y = (0, 1) is a second optimal solution and that Bard (1998) and "
            "Shimizu et al. (1997) report F* = 1 wrongly. For 0 <= x < 1 the follower's response is "
            "not unique."),
        tags=("linear", "degenerate"),
    ),
    # b_1991_01v
    #   min  -x + 10y1 - 2y2   s.t.  0 <= x <= 10
    #   y ∈ argmin { -y1 - y2 :  x + y1 <= 1,  x + y2 <= 1,  y1 + y2 <= 1,  0 <= y <= 10 }
    BilevelProblem(
        name="b_1991_01v",
        source=f"{_SHIMIZU_ETAL_1997} (variant of Example 15.1.2 = {_BARD_1991}, Example 2.2); "
               f"{_BASBLIB}",
        n_x=1, n_y=2, f_star=-2.0,
        cx=[-1], cy=[10, -2],
        xl=[0], xu=[10],
        dy=[-1, -1],
        Ax=[[1], [1], [0]], By=[[1, 0], [0, 1], [1, 1]], b=[1, 1, 1],
        yl=[0, 0], yu=[10, 10],
        x_star=[0], y_star=[0, 1],
        notes=(
            "BASBLib lists F* = -2 (f* = -1) at (0; 0, 1); it needs the optimistic choice (at x = 0 "
            "the follower is indifferent between (0, 1) and (1, 0))."),
        tags=("linear", "degenerate"),
    ),
    # bf_1982_01
    #   min  -8x1 - 4x2 + 4y1 - 40y2 + 4y3   s.t.  0 <= x <= 10
    #   y ∈ argmin { x1 + 2x2 + y1 + y2 + 2y3 :  -y1 + y2 + y3 <= 1,
    #                2x1 - y1 + 2y2 - 0.5y3 <= 1,  2x2 + 2y1 - y2 - 0.5y3 <= 1,  0 <= y <= 10 }
    BilevelProblem(
        name="bf_1982_01",
        source=f"{_BARD_FALK_1982} (Example 1); {_BASBLIB}",
        n_x=2, n_y=3, f_star=-26.0,
        cx=[-8, -4], cy=[4, -40, 4],
        xl=[0, 0], xu=[10, 10],
        dy=[1, 1, 2],
        Ax=[[0, 0], [2, 0], [0, 2]], By=[[-1, 1, 1], [-1, 2, -0.5], [2, -1, -0.5]], b=[1, 1, 1],
        yl=[0, 0, 0], yu=[10, 10, 10],
        x_star=[0, 0.9], y_star=[0, 0.6, 0.4],
        notes=(
            "BASBLib lists F* = -26 (f* = 3.2) at (0, 0.9; 0, 0.6, 0.4). The terms x1 + 2x2 of f are "
            "dropped."),
        tags=("linear",),
    ),
    # bf_1982_02
    #   min  -2x1 + x2 + 0.5y1   s.t.  0 <= x <= 10
    #   y ∈ argmin { x1 + x2 - 4y1 + y2 :  -2x1 + y1 - y2 <= -2.5,  x1 - 3x2 + y2 <= 2,
    #                                       x1 + x2 <= 2,  0 <= y <= 10 }
    BilevelProblem(
        name="bf_1982_02",
        source=f"{_BARD_FALK_1982} (Example 2); {_BASBLIB}",
        n_x=2, n_y=2, f_star=-3.25,
        cx=[-2, 1], cy=[0.5, 0],
        xl=[0, 0], xu=[10, 10],
        dy=[-4, 1],
        Ax=[[-2, 0], [1, -3], [1, 1]], By=[[1, -1], [0, 1], [0, 0]], b=[-2.5, 2, 2],
        yl=[0, 0], yu=[10, 10],
        x_star=[2, 0], y_star=[1.5, 0],
        notes=(
            "BASBLib lists F* = -3.25 (f* = -4) at (2, 0; 1.5, 0), and that the point (1, 0; 0.5, 1) "
            "of the original paper is not optimal. Same as BOLIB BardFalk1982Ex2 with the bounds x, y "
            "<= 10."),
        tags=("linear",),
    ),
    # ct_1982_01  (y4, y5, y6 are slack variables)
    #   min  -8x1 - 4x2 + 4y1 - 40y2 - 4y3   s.t.  0 <= x <= 10
    #   y ∈ argmin { x1 + 2x2 + y1 + y2 + 2y3 :  -y1 + y2 + y3 + y4 = 1,
    #                2x1 - y1 + 2y2 - 0.5y3 + y5 = 1,  2x2 + 2y1 - y2 - 0.5y3 + y6 = 1,  0 <= y <= 10 }
    BilevelProblem(
        name="ct_1982_01",
        source=f"{_CANDLER_TOWNSLEY_1982} (Section 6); {_BASBLIB}",
        n_x=2, n_y=6, f_star=-29.2,
        cx=[-8, -4], cy=[4, -40, -4, 0, 0, 0],
        xl=[0, 0], xu=[10, 10],
        dy=[1, 1, 2, 0, 0, 0],
        Ex=[[0, 0], [2, 0], [0, 2]],
        Ey=[[-1, 1, 1, 1, 0, 0], [-1, 2, -0.5, 0, 1, 0], [2, -1, -0.5, 0, 0, 1]],
        e=[1, 1, 1],
        yl=[0] * 6, yu=[10] * 6,
        x_star=[0, 0.9], y_star=[0, 0.6, 0.4, 0, 0, 0],
        notes=(
            "BASBLib lists F* = -29.2 (f* = 3.2) at (0, 0.9; 0, 0.6, 0.4, 0, 0, 0). The inner "
            "constraints are equalities with the slack variables y4, y5, y6, as in BASBLib's AMPL "
            "file (its problem page prints them as <= 0; the listed point satisfies both). The terms "
            "x1 + 2x2 of f are dropped. Same as BOLIB CandlerTownsley1982 up to the bounds."),
        tags=("linear",),
    ),
    # cw_1988_01
    #   min  x - 4y   s.t.  0 <= x <= 30
    #   y ∈ argmin { y :  -2x + y <= 0,  2x + 5y <= 108,  2x - 3y <= -4,  0 <= y <= 30 }
    BilevelProblem(
        name="cw_1988_01",
        source=f"{_CLARK_WESTERBERG_1988} (Section 2); {_BASBLIB}",
        n_x=1, n_y=1, f_star=-37.0,
        cx=[1], cy=[-4],
        xl=[0], xu=[30],
        dy=[1],
        Ax=[[-2], [2], [2]], By=[[1], [5], [-3]], b=[0, 108, -4],
        yl=[0], yu=[30],
        x_star=[19], y_star=[14],
        notes=(
            "BASBLib lists F* = -37 (f* = 14) at (19; 14). Bounds x, y <= 30 as in the AMPL file (the "
            "problem page prints [0, 100]); no bound is active (the joint constraint set has 1 <= x "
            "<= 19)."),
        tags=("linear",),
    ),
    # cw_1990_01
    #   min  -x - 3y1 + 2y2   s.t.  0 <= x <= 8
    #   y ∈ argmin { -y1 :  -2x + y1 + 4y2 <= 16,  8x + 3y1 - 2y2 <= 48,  -2x + y1 - 3y2 <= -12,
    #                       0 <= y <= 4 }
    BilevelProblem(
        name="cw_1990_01",
        source=f"{_CLARK_WESTERBERG_1990} (Section 3.1); {_BASBLIB}",
        n_x=1, n_y=2, f_star=-13.0,
        cx=[-1], cy=[-3, 2],
        xl=[0], xu=[8],
        dy=[-1, 0],
        Ax=[[-2], [8], [-2]], By=[[1, 4], [3, -2], [1, -3]], b=[16, 48, -12],
        yl=[0, 0], yu=[4, 4],
        x_star=[5], y_star=[4, 2],
        notes=(
            "BASBLib lists F* = -13 (f* = -4) at (5; 4, 2). y in [0, 4]^2 as on the problem page and "
            "in the AMPL variable bounds (the AMPL KKT conditions use y2 <= 8). At x = 5 every y2 in "
            "[2, 4] is a follower optimum (f = -y1); F* needs the optimistic choice y2 = 2."),
        tags=("linear", "degenerate"),
    ),
    # lh_1994_01
    #   min  -x - 3y   s.t.  0 <= x <= 10
    #   y ∈ argmin { y :  -x + y <= 3,  x + 2y <= 12,  4x - y <= 12,  0 <= y <= 10 }
    BilevelProblem(
        name="lh_1994_01",
        source=f"{_LIU_HART_1994}; {_BASBLIB}",
        n_x=1, n_y=1, f_star=-16.0,
        cx=[-1], cy=[-3],
        xl=[0], xu=[10],
        dy=[1],
        Ax=[[-1], [1], [4]], By=[[1], [2], [-1]], b=[3, 12, 12],
        yl=[0], yu=[10],
        x_star=[4], y_star=[4],
        notes=(
            "BASBLib lists F* = -16 (f* = 4) at (4; 4). Same as BOLIB LiuHart1994 with the bounds x, "
            "y <= 10."),
        tags=("linear",),
    ),
    # mb_2007_01  (no outer variable in the source)
    #   min  y
    #   y ∈ argmin { -y :  -1 <= y <= 1 }
    BilevelProblem(
        name="mb_2007_01",
        source=f"{_MITSOS_BARTON_2006} (Example 3.1, mb_0_1_01); {_BASBLIB}",
        n_x=1, n_y=1, f_star=1.0,
        cx=[0], cy=[1],
        xl=[0], xu=[0],
        dy=[-1],
        yl=[-1], yu=[1],
        x_star=[0], y_star=[1],
        notes=(
            "BASBLib lists F* = 1 (f* = -1) at y = 1. The source has no outer variable; a leader "
            "variable fixed at 0 is added (the form needs n_x >= 1)."),
        tags=("linear",),
    ),
    # s_1989_01
    #   min  -8x1 - 4x2 + 4y1 - 40y2 + 4y3   s.t.  x1 + 2x2 - y3 <= 1.3 (coupled),  0 <= x <= 10
    #   y ∈ argmin { 2y1 + y2 + 2y3 :  -y1 + y2 + y3 <= 1,  4x1 - 2y1 + 4y2 - y3 <= 2,
    #                4x2 + 4y1 - 2y2 - y3 <= 2,  0 <= y <= 10 }
    BilevelProblem(
        name="s_1989_01",
        source=f"{_SAVARD_1989}; {_BASBLIB}",
        n_x=2, n_y=3, f_star=-14.6,
        cx=[-8, -4], cy=[4, -40, 4],
        Gx=[[1, 2]], Gy=[[0, 0, -1]], g=[1.3],
        xl=[0, 0], xu=[10, 10],
        dy=[2, 1, 2],
        Ax=[[0, 0], [4, 0], [0, 4]], By=[[-1, 1, 1], [-2, 4, -1], [4, -2, -1]], b=[1, 2, 2],
        yl=[0, 0, 0], yu=[10, 10, 10],
        x_star=[0, 0.65], y_star=[0, 0.3, 0],
        notes=(
            "BASBLib lists F* = -14.6 (f* = 0.3) at (0, 0.65; 0, 0.3, 0). The outer objective is that "
            "of BASBLib's AMPL file (+4y3); the problem page prints -4y3, with which the optimum "
            "would be -18.4 at (0.5, 0.8; 0, 0.2, 0.8) (KKT/MILP check), not the listed -14.6."),
        tags=("linear", "coupled"),
    ),
    # sib_1997_02
    #   min  x - 4y   s.t.  0 <= x <= 10
    #   y ∈ argmin { y :  -x - y <= -3,  -2x + y <= 0,  2x + y <= 12,  -3x + 2y <= -4,  0 <= y <= 10 }
    BilevelProblem(
        name="sib_1997_02",
        source=f"{_SHIMIZU_ETAL_1997} (Example 16.1.1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=-2.0,
        cx=[1], cy=[-4],
        xl=[0], xu=[10],
        dy=[1],
        Ax=[[-1], [-2], [2], [-3]], By=[[-1], [1], [1], [2]], b=[-3, 0, 12, -4],
        yl=[0], yu=[10],
        x_star=[2], y_star=[1],
        notes=(
            "BASBLib's problem page: F* = -2 (f* = 1) at (2; 1), with the remark that the point (4; "
            "4), F = -12, reported in the literature is not bilevel feasible for this problem. Fourth "
            "inner constraint -3x + 2y + 4 <= 0 as on the problem page; BASBLib's AMPL file "
            "sib_1997_02.mod instead has 3x - 2y - 4 <= 0 and F* = -12, i.e. the variant "
            "sib_1997_02v."),
        tags=("linear",),
    ),
    # sib_1997_02v
    #   min  x - 4y   s.t.  0 <= x <= 10
    #   y ∈ argmin { y :  -x - y <= -3,  -2x + y <= 0,  2x + y <= 12,  3x - 2y <= 4,  0 <= y <= 10 }
    BilevelProblem(
        name="sib_1997_02v",
        source=f"Variant of {_SHIMIZU_ETAL_1997} (Example 16.1.1) by Paulavičius, Kleniati, Adjiman "
               f"(2017); {_BASBLIB}",
        n_x=1, n_y=1, f_star=-12.0,
        cx=[1], cy=[-4],
        xl=[0], xu=[10],
        dy=[1],
        Ax=[[-1], [-2], [2], [3]], By=[[-1], [1], [1], [-2]], b=[-3, 0, 12, 4],
        yl=[0], yu=[10],
        x_star=[4], y_star=[4],
        notes=(
            "BASBLib lists F* = -12 (f* = 4) at (4; 4). The fourth inner constraint of sib_1997_02 "
            "reversed (3x - 2y - 4 <= 0)."),
        tags=("linear",),
    ),
    # b_1991_02  (BASBLib class LP-QP: the inner objective is bilinear, the inner problem an LP in y)
    #   min  x + y2   s.t.  2 <= x <= 4
    #   y ∈ argmin { 2y1 + x·y2 :  x - y1 - y2 <= -4,  0 <= y <= 10 }
    BilevelProblem(
        name="b_1991_02",
        source=f"{_BARD_1991} (Example 2.1); {_BASBLIB}",
        n_x=1, n_y=2, f_star=2.0,
        cx=[1], cy=[0, 1],
        xl=[2], xu=[4],
        dy=[2, 0], R=[[0, 1]],
        Ax=[[1]], By=[[-1, -1]], b=[-4],
        yl=[0, 0], yu=[10, 10],
        x_star=[2], y_star=[6, 0],
        notes=(
            "BASBLib (class LP-QP) lists F* = 2 (f* = 12) at (2; 6, 0). The inner objective has the "
            "bilinear term x*y2; the inner problem is an LP in y. At x = 2 every y with y1 + y2 = 6 "
            "is a follower optimum; F* needs the optimistic choice. Same as BOLIB Bard1991Ex1 with "
            "the bounds y <= 10."),
        tags=("lp-follower", "bilinear-follower", "degenerate"),
    ),
    # tmh_2007_01  (BASBLib class QP-QP; the inner problem is an LP)
    #   min  x^2 + y^2   s.t.  0 <= x <= 10
    #   y ∈ argmin { -y :  3x + y <= 15,  x + y <= 7,  x + 3y <= 15,  0 <= y <= 10 }
    BilevelProblem(
        name="tmh_2007_01",
        source=f"{_TUY_ETAL_2007} (Example 1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=22.5,
        cx=[0], cy=[0],
        Hxx=[[2]], Hyy=[[2]],
        xl=[0], xu=[10],
        dy=[-1],
        Ax=[[3], [1], [1]], By=[[1], [1], [3]], b=[15, 7, 15],
        yl=[0], yu=[10],
        x_star=[1.5], y_star=[4.5],
        notes=(
            "BASBLib (class QP-QP) lists F* = 22.5 (f* = -4.5) at (1.5; 4.5); (4.5; 1.5) is a second "
            "optimal solution. Same as BOLIB TuyEtal2007 with the bounds 0 <= x, y <= 10 (the "
            "upper-level y >= 0 is a variable bound here)."),
        tags=("lp-follower", "quadratic-leader"),
    ),
    # d_2000_01  (BASBLib class QP-QP; the inner problem is an LP in y)
    #   min  (-x + y + 1)^2   s.t.  -0.5 <= x <= 10
    #   y ∈ argmin { x·y :  -x - y <= 0,  -x + y <= 1,  -10 <= y <= 11 }
    BilevelProblem(
        name="d_2000_01",
        source=f"{_DEMPE_2000} (Example 5.6, d = 1); {_BASBLIB}",
        n_x=1, n_y=1, f_star=-1.0,
        cx=[-2], cy=[2],
        Hxx=[[2]], Hxy=[[-2]], Hyy=[[2]],
        xl=[-0.5], xu=[10],
        R=[[1]],
        Ax=[[-1], [-1]], By=[[-1], [1]], b=[0, 1],
        yl=[-10], yu=[11],
        x_star=[0.5], y_star=[-0.5],
        notes=(
            "BASBLib (class QP-QP, parameter d = 1) lists F* = 0 (f* = -0.25) at (0.5; -0.5). F is "
            "stored without its constant 1 ((-x + y + 1)^2 = x^2 - 2xy + y^2 - 2x + 2y + 1), so "
            "f_star = -1. The follower (objective x*y) is indifferent at x = 0 only."),
        tags=("lp-follower", "quadratic-leader", "bilinear-follower", "degenerate"),
    ),
)

PROBLEMS: tuple[BilevelProblem, ...] = (*_BOLIB_LINEAR, *_BOLIB_LP_FOLLOWER, *_BASBLIB_PROBLEMS)

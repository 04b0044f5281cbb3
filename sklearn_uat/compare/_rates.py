"""Error against the number of hidden units: the approximation rates."""

import math
import sys
from dataclasses import dataclass, field

import numpy as np

from ..datasets import get_function, make_function

#: Hidden-unit counts of the constructive networks in :func:`convergence`.
DEFAULT_UNITS = (8, 16, 32, 64, 128, 256, 512, 1024)
#: Widths of the one-hidden-layer trained network in :func:`convergence`.
DEFAULT_MLP_WIDTHS = (8, 32, 128)


def default_convergence_methods(random_state=0):
    """The methods of :func:`convergence`, with their theoretical rates.

    Returns
    -------
    methods : dict of str to (callable, float or None)
        Name to ``(make_estimator(n_units), theory_slope)``: the factory
        builds an unfitted estimator with about ``n_units`` hidden units,
        the slope is the theoretical log-log rate of the maximum error
        (None where no rate is known).

        - ``ReluKnot``: uniform knots, least-squares slopes. A linear
          interpolant's error is at most ``h**2 / 8 * max|f''|``: slope -2.
        - ``BumpNet mean``: steep bumps with mean heights, a piecewise-constant
          approximation with error about ``h / 2 * max|f'|``: slope -1.
        - ``BumpNet lstsq``: smooth bumps with least-squares heights. No rate
          is claimed: inside the range their error falls faster than the
          knots' once the bumps resolve the function, but the maximum error
          sits at the ends of the range, where it falls more slowly (a
          slope of about -1.2 for ``sine``).
        - ``TrainedMLP``: one hidden ReLU layer trained by Adam; no rate is
          guaranteed -- gradient descent rarely reaches the best network of a
          given width.
    """
    from .. import BumpNetRegressor, ReluKnotRegressor, TrainedMLPRegressor

    return {
        "ReluKnot": (lambda n: ReluKnotRegressor(n_knots=n), -2.0),
        "BumpNet mean": (
            lambda n: BumpNetRegressor(n_bumps=n, steepness=100.0, heights="mean"),
            -1.0,
        ),
        "BumpNet lstsq": (lambda n: BumpNetRegressor(n_bumps=n), None),
        "TrainedMLP": (
            lambda n: TrainedMLPRegressor(
                hidden_layer_sizes=(n,),
                activation="relu",
                random_state=random_state,
            ),
            None,
        ),
    }


def _hidden_units(model):
    network = getattr(model, "network_", None)
    if network is not None:
        return int(sum(network.hidden_layer_sizes))
    return int(sum(np.shape(W)[1] for W in model.coefs_[:-1]))


@dataclass
class ConvergenceResult:
    """The outcome of :func:`convergence`.

    Attributes
    ----------
    function : str
        The benchmark function studied.
    units : dict of str to ndarray
        Per method, the hidden units of each fitted network.
    max_error, rmse : dict of str to ndarray
        Per method, the test maximum absolute error and RMSE at each size.
    theory : dict of str to float or None
        Per method, the theoretical log-log slope of the maximum error.
    """

    function: str
    units: dict = field(default_factory=dict)
    max_error: dict = field(default_factory=dict)
    rmse: dict = field(default_factory=dict)
    theory: dict = field(default_factory=dict)

    def slopes(self):
        """Least-squares log-log slope of max error against units, per method."""
        out = {}
        for name, units in self.units.items():
            err = self.max_error[name]
            ok = (err > 0) & np.isfinite(err)
            if ok.sum() < 2:
                out[name] = math.nan
                continue
            out[name] = float(np.polyfit(np.log(units[ok]), np.log(err[ok]), 1)[0])
        return out

    def format_table(self, tablefmt="simple"):
        """Units and max error per method, then the fitted and theoretical slopes."""
        from tabulate import tabulate

        slopes = self.slopes()
        rows = []
        for name in self.units:
            for u, e, r in zip(self.units[name], self.max_error[name], self.rmse[name]):
                rows.append([name, int(u), f"{e:.3e}", f"{r:.3e}", "", ""])
            theory = self.theory[name]
            rows.append(
                [
                    name,
                    "slope",
                    "",
                    "",
                    f"{slopes[name]:.2f}",
                    "n/a" if theory is None else f"{theory:.0f}",
                ]
            )
        headers = ["method", "units", "max error", "RMSE", "fitted slope", "theory"]
        return tabulate(rows, headers=headers, tablefmt=tablefmt)


def convergence(
    function="multiscale",
    *,
    units=DEFAULT_UNITS,
    mlp_widths=DEFAULT_MLP_WIDTHS,
    methods=None,
    n_samples=None,
    n_test=10007,
    random_state=0,
    progress=False,
):
    """Measure test error against hidden units for each method.

    Each network is fitted on ``n_samples`` noise-free samples on an evenly
    spaced grid of the function's domain, and tested on ``n_test`` evenly
    spaced points (a count chosen so that they fall between training points).

    Parameters
    ----------
    function : str, default="multiscale"
        A one-input function of :mod:`sklearn_uat.datasets`.
    units : sequence of int, default=(8, 16, ..., 1024)
        Sizes for the constructive networks.
    mlp_widths : sequence of int, default=(8, 32, 128)
        Sizes for methods named ``TrainedMLP...`` (training is slow, so it
        gets fewer).
    methods : dict, default=None
        Name to ``(make_estimator(n_units), theory_slope)``; None means
        :func:`default_convergence_methods`.
    n_samples : int, default=None
        Training samples; None means ``max(10000, 20 * max(units))``.
    n_test : int, default=10007
        Test points.
    random_state : int, default=0
        Seed of the trained methods.
    progress : bool, default=False
        Show a progress bar on standard error.

    Returns
    -------
    result : ConvergenceResult
    """
    f = get_function(function)
    if f.n_features != 1:
        raise ValueError(
            f"convergence studies one-input functions; {function!r} has "
            f"{f.n_features} inputs."
        )
    units = sorted({int(u) for u in units})
    if not units or units[0] < 2:
        raise ValueError(f"units must be integers >= 2; got {units}.")
    if methods is None:
        methods = default_convergence_methods(random_state)
    n_samples = max(10000, 20 * units[-1]) if n_samples is None else int(n_samples)
    X, y = make_function(function, n_samples, sampling="grid")
    X_test, y_test = make_function(function, n_test, sampling="grid")
    X_test = X_test[1:-1]
    y_test = y_test[1:-1]
    result = ConvergenceResult(function)
    plan = {
        name: (mlp_widths if name.startswith("TrainedMLP") else units)
        for name in methods
    }
    from tqdm.auto import tqdm

    total = sum(len(sizes) for sizes in plan.values())
    with tqdm(total=total, disable=not progress, file=sys.stderr) as bar:
        for name, (make, theory) in methods.items():
            sizes, errors, rmses = [], [], []
            for n in plan[name]:
                bar.set_description(f"{name} ({n})")
                model = make(n).fit(X, y)
                residual = model.predict(X_test) - y_test
                sizes.append(_hidden_units(model))
                errors.append(float(np.max(np.abs(residual))))
                rmses.append(float(np.sqrt(np.mean(residual**2))))
                bar.update(1)
            result.units[name] = np.array(sizes)
            result.max_error[name] = np.array(errors)
            result.rmse[name] = np.array(rmses)
            result.theory[name] = theory
    return result

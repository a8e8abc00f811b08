"""Units, divergences and Monte Carlo estimates: closed forms, identities, and bad input."""

import math

import pytest
import torch

import armini
from armini import metrics


def random_distributions(n: int, k: int, seed: int = 0, zeros: bool = True) -> torch.Tensor:
    """n random distributions over k outcomes, (n, k), float64; with `zeros`, about one
    outcome in ten has probability exactly 0."""
    g = torch.Generator().manual_seed(seed)
    p = -torch.rand(n, k, generator=g, dtype=torch.float64).log()  # Dirichlet(1, …, 1)
    if zeros:
        p = p * (torch.rand(n, k, generator=g) > 0.1)
        p[:, 0] += 1e-3  # keep every row non-empty
    return p / p.sum(-1, keepdim=True)


# -- units ---------------------------------------------------------------------------------------


def test_bits_per_dim_and_nats_to_bits():
    assert metrics.bits_per_dim(64 * math.log(2), 64) == pytest.approx(1.0)
    assert metrics.nats_to_bits(math.log(8)) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="n_dims must be an int ≥ 1"):
        metrics.bits_per_dim(1.0, 0)


# -- closed forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 7, 256])
def test_entropy_of_the_uniform_distribution_is_log_k(k):
    assert float(metrics.entropy(torch.full((k,), 1 / k))) == pytest.approx(math.log(k))


def test_entropy_of_a_point_mass_is_zero_and_zeros_contribute_nothing():
    assert float(metrics.entropy([0.0, 1.0, 0.0])) == 0.0
    assert float(metrics.entropy([0.5, 0.5, 0.0])) == pytest.approx(math.log(2))


@pytest.mark.parametrize("a, b", [(0.5, 0.5), (0.1, 0.9), (0.3, 0.7), (0.99, 0.01), (0.2, 0.25)])
def test_bernoulli_kl_matches_its_formula(a, b):
    formula = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert float(metrics.kl_divergence([1 - a, a], [1 - b, b])) == pytest.approx(formula, abs=1e-12)
    ce = -(a * math.log(b) + (1 - a) * math.log(1 - b))
    assert float(metrics.cross_entropy([1 - a, a], [1 - b, b])) == pytest.approx(ce)


@pytest.mark.parametrize(
    "mean_p, std_p, mean_q, std_q", [(0, 1, 0, 1), (0, 1, 1, 1), (0.5, 0.3, -1, 2), (2, 3, 1, 0.5)]
)
def test_gaussian_kl_matches_numerical_integration(mean_p, std_p, mean_q, std_q):
    x = torch.linspace(-30, 30, 600_001, dtype=torch.float64)
    log_p = torch.distributions.Normal(float(mean_p), float(std_p)).log_prob(x)
    log_q = torch.distributions.Normal(float(mean_q), float(std_q)).log_prob(x)
    integral = torch.trapezoid(log_p.exp() * (log_p - log_q), x)
    closed = metrics.gaussian_kl(mean_p, std_p, mean_q, std_q)
    assert float(closed) == pytest.approx(float(integral), rel=1e-6, abs=1e-9)


def test_gaussian_kl_special_cases_and_broadcasting():
    mu = torch.tensor([0.0, 1.0, 2.0])
    # equal variances: D = (μ_p − μ_q)² / 2σ²
    assert torch.allclose(metrics.gaussian_kl(mu, 1.0, 0.0, 1.0), mu**2 / 2)
    assert float(metrics.gaussian_kl(3.0, 2.0, 3.0, 2.0)) == 0.0
    assert metrics.gaussian_kl(mu, 1.0, 0.0, torch.ones(2, 1)).shape == (2, 3)


def test_gaussian_kl_rejects_non_positive_standard_deviations():
    with pytest.raises(ValueError, match="std_q must hold standard deviations σ > 0"):
        metrics.gaussian_kl(0.0, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="std_p"):
        metrics.gaussian_kl(0.0, torch.tensor([1.0, 0.0]), 0.0, 1.0)


# -- identities and Gibbs' inequality ------------------------------------------------------------


def test_cross_entropy_is_entropy_plus_kl():
    p, q = random_distributions(500, 6, seed=1), random_distributions(500, 6, seed=2)
    q = (q + 1e-3) / (q + 1e-3).sum(-1, keepdim=True)  # q > 0 everywhere: all finite
    lhs = metrics.cross_entropy(p, q)
    rhs = metrics.entropy(p) + metrics.kl_divergence(p, q)
    assert lhs.shape == (500,)
    assert torch.allclose(lhs, rhs, atol=1e-12)


def test_kl_is_non_negative_and_zero_only_for_equal_distributions():
    p, q = random_distributions(2000, 5, seed=3), random_distributions(2000, 5, seed=4)
    kl = metrics.kl_divergence(p, q)
    assert (kl >= 0).all()
    assert (kl > 1e-6).all()  # these pairs all differ
    assert torch.equal(metrics.kl_divergence(p, p), torch.zeros(2000, dtype=torch.float64))


def test_kl_grows_from_zero_along_a_path_away_from_p():
    p, r = random_distributions(1, 4, seed=5)[0], torch.full((4,), 0.25, dtype=torch.float64)
    t = torch.linspace(0, 1, 11, dtype=torch.float64)[:, None]
    kl = metrics.kl_divergence(p, (1 - t) * p + t * r)
    assert kl[0] == 0 and (kl.diff() > 0).all()


def test_kl_is_asymmetric():
    p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])
    forward, reverse = metrics.kl_divergence(p, q), metrics.kl_divergence(q, p)
    assert float(forward) == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    assert float(forward - reverse) > 0.1


def test_zero_probabilities_follow_the_conventions():
    assert float(metrics.kl_divergence([1.0, 0.0], [0.5, 0.5])) == pytest.approx(math.log(2))
    assert float(metrics.kl_divergence([0.5, 0.5], [1.0, 0.0])) == math.inf
    assert float(metrics.cross_entropy([0.5, 0.5], [1.0, 0.0])) == math.inf


def test_batched_and_broadcast_shapes_and_dtypes():
    p = random_distributions(3, 4)
    q = torch.full((4,), 0.25, dtype=torch.float32)
    assert metrics.kl_divergence(p, q).shape == (3,)
    assert metrics.kl_divergence(p[:, None], p[None]).shape == (3, 3)
    assert metrics.entropy(q).dtype == torch.float32
    assert metrics.entropy([1, 0]).dtype == torch.float64  # integers become float64


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn", [metrics.cross_entropy, metrics.kl_divergence, lambda p, q: metrics.entropy(p)]
)
@pytest.mark.parametrize(
    "p, q, message",
    [
        ([0.5, 0.6], [0.5, 0.5], r"p does not sum to 1 over its last dimension \(a sum is 1\.1"),
        ([1.5, -0.5], [0.5, 0.5], r"p has negative probabilities \[-0\.5\]"),
        ([0.5, float("nan")], [0.5, 0.5], "p contains NaN or inf"),
        (1.0, [1.0], r"p has shape \(\): expected probabilities .* shape \(\.\.\., K\)"),
    ],
)
def test_bad_distributions_are_named(fn, p, q, message):
    with pytest.raises(ValueError, match=message):
        fn(p, q)


def test_q_is_checked_too_and_tol_is_honoured():
    with pytest.raises(ValueError, match="q does not sum to 1"):
        metrics.kl_divergence([0.5, 0.5], [0.5, 0.4])
    assert float(metrics.kl_divergence([0.5, 0.5], [0.5, 0.4], tol=0.2)) > 0


def test_mismatched_supports_are_named():
    with pytest.raises(ValueError, match="different supports: p has 2 outcomes .* q has 3"):
        metrics.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="batch shapes .* do not broadcast"):
        metrics.cross_entropy(random_distributions(3, 2), random_distributions(4, 2))


# -- fitting one Gaussian by forward and reverse KL -----------------------------------------------


def mixture(grid: torch.Tensor, separation: float, weight: float = 0.6) -> torch.Tensor:
    normal = torch.distributions.Normal
    left = normal(-separation / 2, 1.0).log_prob(grid).exp()
    return weight * left + (1 - weight) * normal(separation / 2, 1.0).log_prob(grid).exp()


def test_forward_kl_fit_matches_moments_and_reverse_kl_picks_a_mode():
    grid = torch.linspace(-12, 12, 961, dtype=torch.float64)
    p = mixture(grid, 6.0)
    forward = metrics.fit_gaussian_kl(p, grid, "forward")
    reverse = metrics.fit_gaussian_kl(p, grid, "reverse")
    mean = 0.6 * -3 + 0.4 * 3
    std = math.sqrt(1 + 9 - mean**2)  # E[x²] = σ² + 9 for both components
    assert forward.mean == pytest.approx(mean, abs=1e-4)
    assert forward.std == pytest.approx(std, abs=1e-4)
    assert reverse.mean == pytest.approx(-3.0, abs=0.05)  # the heavier mode
    assert reverse.std == pytest.approx(1.0, abs=0.05)
    assert str(reverse).startswith("reverse KL fit: N(-2.99, 1.02²), KL 0.5")


def test_both_fits_recover_a_gaussian_and_its_kl_is_zero():
    grid = torch.linspace(-10, 10, 801)
    p = torch.distributions.Normal(1.5, 0.8).log_prob(grid).exp()
    for direction in ("forward", "reverse"):
        fit = metrics.fit_gaussian_kl(p, grid, direction)
        assert fit.mean == pytest.approx(1.5, abs=1e-3) and fit.std == pytest.approx(0.8, abs=1e-3)
        assert abs(fit.kl) < 1e-6


@pytest.mark.parametrize("lo, hi", [(-3.5, 3.5), (-3.5, 8.0), (-8.0, 3.5)])
def test_reverse_fit_counts_the_tails_of_q_beyond_the_grid(lo, hi):
    # on a grid that barely holds p, a q leaking past either end must still be penalised
    grid = torch.linspace(lo, hi, 301, dtype=torch.float64)
    p = torch.distributions.Normal(0.0, 1.0).log_prob(grid).exp()
    fit = metrics.fit_gaussian_kl(p, grid, "reverse")
    assert fit.mean == pytest.approx(0.0, abs=1e-2) and fit.std == pytest.approx(1.0, abs=1e-2)
    assert str(fit) == "reverse KL fit: N(0.00, 1.00²), KL 0.000"


def test_fit_reports_the_kl_of_its_gaussian():
    # the reported minimum, recomputed by the trapezoid rule on a much finer, wider grid
    grid = torch.linspace(-12, 12, 961, dtype=torch.float64)
    fine = torch.linspace(-40, 40, 400_001, dtype=torch.float64)
    p, p_fine = mixture(grid, 5.0), mixture(fine, 5.0)
    for direction in ("forward", "reverse"):
        fit = metrics.fit_gaussian_kl(p, grid, direction)
        q_fine = torch.distributions.Normal(fit.mean, fit.std).log_prob(fine).exp()
        a, b = (p_fine, q_fine) if direction == "forward" else (q_fine, p_fine)
        integral = float(torch.trapezoid(torch.xlogy(a, a) - torch.xlogy(a, b), fine))
        assert fit.kl == pytest.approx(integral, abs=1e-4), direction
        assert fit.kl > 0.1  # one Gaussian cannot match two well-separated modes


@pytest.mark.parametrize(
    "density, grid, direction, message",
    [
        (None, torch.linspace(-5, 5, 101), "sideways", "direction must be 'forward' or 'reverse'"),
        (None, torch.tensor([0.0, 1.0, 3.0] * 5), "forward", "evenly spaced and increasing"),
        (torch.ones(50), torch.linspace(-5, 5, 101), "forward", r"density has shape \(50,\)"),
        (torch.ones(101), torch.linspace(-5, 5, 101), "forward", "integrates to 10.1"),
        (-torch.ones(101), torch.linspace(-5, 5, 101), "reverse", "non-negative values"),
    ],
)
def test_fit_gaussian_kl_bad_input(density, grid, direction, message):
    if density is None:
        density = torch.ones(len(grid)) / 10
    with pytest.raises(ValueError, match=message):
        metrics.fit_gaussian_kl(density, grid, direction)


# -- Monte Carlo -----------------------------------------------------------------------------------


def test_monte_carlo_mean_and_standard_error():
    est = metrics.monte_carlo(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert est.mean == 2.5 and est.n == 4
    assert est.stderr == pytest.approx(math.sqrt(5 / 3) / 2)  # sample std (T − 1) / √T
    assert est.std == pytest.approx(math.sqrt(5 / 3))
    assert str(est) == "2.500 ± 0.645"
    assert f"{est:.1f}" == "2.5 ± 0.6"
    assert est.interval(2.0) == pytest.approx((2.5 - 2 * est.stderr, 2.5 + 2 * est.stderr))
    assert (-est).mean == -2.5 and (-est).stderr == est.stderr


def test_monte_carlo_stderr_shrinks_like_one_over_root_n_and_covers_the_truth():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(160_000, generator=g, dtype=torch.float64)  # g(x) = x², E = 1/3
    truth, sd = 1 / 3, math.sqrt(1 / 5 - 1 / 9)
    for n in (1_000, 10_000, 160_000):
        est = metrics.monte_carlo(x[:n] ** 2)
        assert est.stderr == pytest.approx(sd / math.sqrt(n), rel=0.05)
        assert abs(est.mean - truth) < 4 * est.stderr
    # across many independent estimates of size T, the spread of the means is the stderr
    means = (x.reshape(400, 400) ** 2).mean(1)
    assert float(means.std()) == pytest.approx(sd / math.sqrt(400), rel=0.15)


def test_monte_carlo_bad_input():
    with pytest.raises(ValueError, match=r"expected a 1-D tensor \(T,\) of T ≥ 2"):
        metrics.monte_carlo(torch.ones(3, 2))
    with pytest.raises(ValueError, match="T ≥ 2"):
        metrics.monte_carlo(torch.ones(1))
    with pytest.raises(ValueError, match="contains inf or NaN"):
        metrics.monte_carlo(torch.tensor([0.0, -math.inf]))


def test_mc_log_likelihood_agrees_with_evaluate():
    data = armini.data.digits()
    model = armini.models.FVSBN(64)
    with torch.no_grad():
        model.linear.weight.normal_(0.0, 0.3)  # some model other than the all-zero start
    est = metrics.mc_log_likelihood(model, data.test, batch_size=64)
    assert est.n == 300
    assert est.mean == pytest.approx(-armini.evaluate(model, data.test).nats, abs=1e-4)
    logp = model.log_prob(data.test).detach().double()
    assert est.stderr == pytest.approx(float(logp.std() / math.sqrt(300)), rel=1e-5)
    with pytest.raises(ValueError, match=r"x must be a tensor \(m, \*shape\) with m ≥ 2"):
        metrics.mc_log_likelihood(model, data.test[:1])


def test_mc_log_likelihood_estimates_the_exact_expectation():
    joint = armini.JointTable(random_distributions(1, 16, seed=6, zeros=False)[0])
    model = armini.ChainRuleTable.from_joint(joint)  # p_θ = p_data exactly
    q = armini.checks.exact_probabilities(model)
    exact = -float(metrics.cross_entropy(joint.probs, q))  # E_{p_data}[log p_θ] = −H(p_data)
    assert exact == pytest.approx(-float(metrics.entropy(joint.probs)), abs=1e-5)
    armini.seed_everything(0)
    est = metrics.mc_log_likelihood(model, joint.sample(20_000))
    assert abs(est.mean - exact) < 4 * est.stderr
    assert est.stderr < 0.02


def test_mc_kl_agrees_with_the_gaussian_closed_form():
    g = torch.Generator().manual_seed(1)
    p, q = torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 2.0)
    samples = torch.randn(50_000, generator=g, dtype=torch.float64)
    est = metrics.mc_kl(p.log_prob, q.log_prob, samples)
    closed = float(metrics.gaussian_kl(0.0, 1.0, 1.0, 2.0))
    assert abs(est.mean - closed) < 4 * est.stderr and est.stderr < 0.01
    with pytest.raises(ValueError, match=r"one log-density per sample, shape \(50000,\)"):
        metrics.mc_kl(p.log_prob, lambda x: q.log_prob(x).sum(), samples)


def test_mc_kl_agrees_with_the_discrete_kl():
    joint_p = armini.JointTable(random_distributions(1, 8, seed=7, zeros=False)[0])
    joint_q = armini.JointTable(torch.full((8,), 1 / 8))
    armini.seed_everything(0)
    est = metrics.mc_kl(joint_p.log_prob, joint_q.log_prob, joint_p.sample(20_000))
    exact = float(metrics.kl_divergence(joint_p.probs, joint_q.probs))
    assert abs(est.mean - exact) < 4 * est.stderr

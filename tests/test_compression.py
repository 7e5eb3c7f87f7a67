"""Module 18's library, `tinytorch.compression`: pruning masks and PyTorch's pruning interface (checked mask for mask
against `torch.nn.utils.prune` where the names match), CSR storage and products against dense ones (and against
PyTorch's `to_sparse_csr`), the distillation loss against PyTorch's `kl_div` and `cross_entropy`, and low-rank
factorisation by the SVD against the Eckart-Young error."""
from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.compression as c
from tests.reference import needs_torch, torch

prune = tt.nn.utils.prune
if torch is not None:
    import torch.nn.utils.prune as torch_prune


def distinct_weights(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    "Random float32 weights whose magnitudes are all different (no ties: masks are then unique)."
    size = int(np.prod(shape))
    magnitudes = (np.random.default_rng(seed).permutation(size) + 1) / size
    signs = np.random.default_rng(seed + 1).choice([-1.0, 1.0], size)
    return (magnitudes * signs).reshape(shape).astype(np.float32)


def linear_with(weight: np.ndarray) -> tt.nn.Linear:
    layer = tt.nn.Linear(weight.shape[1], weight.shape[0])
    layer.weight.data = weight.copy()
    return layer


def torch_linear_with(weight: np.ndarray):
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
    return layer


def test_magnitude_mask_counts_and_fractions():
    scores = distinct_weights((7, 9))
    for amount, pruned in ((0, 0), (5, 5), (0.5, round(0.5 * 63)), (0.25, round(0.25 * 63)), (1.0, 63), (63, 63)):
        mask = c.magnitude_mask(np.abs(scores), amount)
        assert mask.dtype == np.float32 and mask.shape == (7, 9) and int((mask == 0).sum()) == pruned
        if 0 < pruned < 63:
            assert np.abs(scores)[mask == 1].min() > np.abs(scores)[mask == 0].max()
    for bad in (-1, 64, 1.5, -0.1):
        with pytest.raises(ValueError):
            c.magnitude_mask(scores, bad)
    with pytest.raises(TypeError):
        c.magnitude_mask(scores, "half")


@needs_torch
@pytest.mark.parametrize("amount", [0.3, 0.9, 17])
def test_l1_unstructured_matches_torch(amount):
    weight = distinct_weights((12, 10), seed=3)
    ours, theirs = linear_with(weight), torch_linear_with(weight)
    prune.l1_unstructured(ours, "weight", amount=amount)
    torch_prune.l1_unstructured(theirs, "weight", amount=amount)
    assert np.array_equal(ours.weight_mask.data, theirs.weight_mask.numpy())
    assert np.allclose(ours.weight.data, theirs.weight.detach().numpy())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


@needs_torch
def test_pruning_twice_prunes_among_the_kept_weights_like_torch():
    weight = distinct_weights((8, 8), seed=5)
    ours, theirs = linear_with(weight), torch_linear_with(weight)
    for amount in (0.5, 0.5, 3):
        prune.l1_unstructured(ours, "weight", amount=amount)
        torch_prune.l1_unstructured(theirs, "weight", amount=amount)
        assert np.array_equal(ours.weight_mask.data, theirs.weight_mask.numpy())
    assert int(ours.weight_mask.data.sum()) == 64 - 32 - 16 - 3


@needs_torch
@pytest.mark.parametrize("n, dim, amount", [(2, 0, 0.5), (1, 1, 2), (np.inf, 0, 0.25), (2, -1, 1)])
def test_ln_structured_matches_torch_on_a_convolution(n, dim, amount):
    weight = distinct_weights((6, 4, 3, 3), seed=7)
    ours = tt.nn.Conv2d(4, 6, 3)
    ours.weight.data = weight.copy()
    theirs = torch.nn.Conv2d(4, 6, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(weight))
    prune.ln_structured(ours, "weight", amount=amount, n=n, dim=dim)
    torch_prune.ln_structured(theirs, "weight", amount=amount, n=float(n), dim=dim)
    assert np.array_equal(ours.weight_mask.data, theirs.weight_mask.numpy())


@needs_torch
def test_global_unstructured_matches_torch():
    first, second = distinct_weights((16, 8), seed=9), distinct_weights((4, 16), seed=11) * 3
    ours = [linear_with(first), linear_with(second)]
    theirs = [torch_linear_with(first), torch_linear_with(second)]
    prune.l1_unstructured(ours[0], "weight", amount=0.25)  # an earlier mask is combined, as in PyTorch
    torch_prune.l1_unstructured(theirs[0], "weight", amount=0.25)
    prune.global_unstructured([(m, "weight") for m in ours], prune.L1Unstructured, amount=0.6)
    torch_prune.global_unstructured([(m, "weight") for m in theirs], torch_prune.L1Unstructured, amount=0.6)
    for mine, other in zip(ours, theirs):
        assert np.array_equal(mine.weight_mask.data, other.weight_mask.numpy())


def test_the_mask_stays_applied_through_training_and_remove_makes_it_permanent():
    layer = linear_with(distinct_weights((5, 6), seed=13))
    parameter = layer.weight
    optimizer = tt.optim.SGD(layer.parameters(), lr=0.5)
    prune.l1_unstructured(layer, "weight", amount=0.6)
    assert layer.weight_orig is parameter and prune.is_pruned(layer) and not isinstance(layer.weight, tt.nn.Parameter)
    mask = layer.weight_mask.data.copy()
    for _ in range(3):
        optimizer.zero_grad()
        layer(tt.Tensor(np.ones((4, 6), np.float32))).sum().backward()
        assert not parameter.grad.data[mask == 0].any()
        optimizer.step()
    out = layer(tt.Tensor(np.ones((1, 6), np.float32))).data
    assert not layer.weight.data[mask == 0].any()
    prune.remove(layer, "weight")
    assert layer.weight is parameter and not prune.is_pruned(layer)
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"] and not list(layer.named_buffers())
    assert np.allclose(layer(tt.Tensor(np.ones((1, 6), np.float32))).data, out)
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(layer, "weight")


def test_csr_round_trip_and_bytes():
    rng = np.random.default_rng(0)
    dense = (rng.standard_normal((40, 30)) * (rng.random((40, 30)) < 0.2)).astype(np.float32)
    dense[[0, 17, 38, 39]] = 0  # empty rows: the first, one inside, the last two
    csr = c.to_csr(dense)
    assert np.array_equal(csr.to_dense(), dense) and csr.nnz == int((dense != 0).sum())
    assert csr.nbytes == 4 * csr.nnz + 4 * csr.nnz + 4 * 41
    assert c.to_csr(dense, np.int16).nbytes == 6 * csr.nnz + 4 * 41
    assert c.to_csr(np.zeros((3, 3), np.float32)).indptr.tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        c.to_csr(np.zeros(5))


@needs_torch
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_csr_arrays_match_torch_to_sparse_csr():
    rng = np.random.default_rng(1)
    dense = (rng.standard_normal((20, 15)) * (rng.random((20, 15)) < 0.15)).astype(np.float32)
    dense[-3:] = 0
    ours, theirs = c.to_csr(dense), torch.from_numpy(dense).to_sparse_csr()
    assert np.array_equal(ours.crow_indices(), theirs.crow_indices().numpy())
    assert np.array_equal(ours.col_indices(), theirs.col_indices().numpy())
    assert np.array_equal(ours.values(), theirs.values().numpy())


@pytest.mark.parametrize("density", [0.0, 0.01, 0.1, 0.5, 1.0])
def test_csr_products_equal_dense_ones(density):
    rng = np.random.default_rng(2)
    dense = (rng.standard_normal((60, 45)) * (rng.random((60, 45)) < density)).astype(np.float32)
    dense[::5] = 0
    csr = c.to_csr(dense)
    vector, matrix = rng.standard_normal(45).astype(np.float32), rng.standard_normal((45, 7)).astype(np.float32)
    assert np.allclose(csr @ vector, dense @ vector, atol=1e-5) and (csr @ vector).shape == (60,)
    assert np.allclose(csr @ matrix, dense @ matrix, atol=1e-5) and (csr @ matrix).shape == (60, 7)
    assert (csr @ matrix.astype(np.float64)).dtype == np.float64
    with pytest.raises(ValueError):
        csr @ np.ones(44)


def test_low_rank_error_is_the_dropped_singular_values():
    weight = np.random.default_rng(3).standard_normal((30, 20))
    singular = np.linalg.svd(weight, compute_uv=False)
    for rank in (1, 5, 19, 20):
        a, b = c.low_rank(weight, rank)
        assert a.shape == (30, rank) and b.shape == (rank, 20) and a.dtype == np.float32
        assert np.isclose(np.linalg.norm(weight - a @ b), np.sqrt((singular[rank:] ** 2).sum()), rtol=1e-4, atol=1e-4)
    for bad in (0, 21):
        with pytest.raises(ValueError):
            c.low_rank(weight, bad)


def test_factorize_linear_is_the_layer_at_full_rank_and_smaller_below():
    tt.manual_seed(0)
    layer = tt.nn.Linear(12, 8)
    x = tt.Tensor(np.random.default_rng(4).standard_normal((5, 12)).astype(np.float32))
    full = c.factorize_linear(layer, 8)
    assert np.allclose(full(x).data, layer(x).data, atol=1e-5)
    thin = c.factorize_linear(layer, 3)
    assert sum(p.data.size for p in thin.parameters()) == 3 * (12 + 8) + 8
    assert thin[0].bias is None and thin[0].weight.shape == (3, 12) and thin[1].weight.shape == (8, 3)


def test_shrink_linear_pair_drops_dead_neurons_exactly():
    tt.manual_seed(1)
    first, second = tt.nn.Linear(6, 10), tt.nn.Linear(10, 3)
    prune.ln_structured(first, "weight", amount=0.6, n=2, dim=0)
    prune.custom_from_mask(first, "bias", first.weight_mask.data[:, 0])
    x = tt.Tensor(np.random.default_rng(5).standard_normal((4, 6)).astype(np.float32))
    expected = second(tt.relu(first(x))).data
    with pytest.raises(ValueError, match="permanent"):
        c.shrink_linear_pair(first, second, [0])
    prune.remove(first, "weight"), prune.remove(first, "bias")
    small_first, small_second = c.shrink_linear_pair(first, second, c.kept_neurons(first))
    assert small_first.weight.shape == (4, 6) and small_second.weight.shape == (3, 4)
    assert np.allclose(small_second(tt.relu(small_first(x))).data, expected, atol=1e-5)


@needs_torch
def test_distillation_loss_and_gradient_match_torch():
    rng = np.random.default_rng(6)
    student, teacher = rng.standard_normal((5, 4)), rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, 5)
    for temperature, alpha in ((1.0, 0.5), (4.0, 0.9), (2.0, 1.0), (3.0, 0.0)):
        ours_logits = tt.Tensor(student, requires_grad=True)
        ours = c.distillation_loss(ours_logits, tt.Tensor(teacher), tt.Tensor(labels, dtype=tt.int64), temperature, alpha)
        ours.backward()
        logits = torch.tensor(student, requires_grad=True)
        functional = torch.nn.functional
        theirs = (alpha * temperature**2 * functional.kl_div(functional.log_softmax(logits / temperature, dim=-1),
                                                                functional.softmax(torch.tensor(teacher) / temperature, dim=-1),
                                                                reduction="batchmean")
                  + (1 - alpha) * functional.cross_entropy(logits, torch.tensor(labels)))
        theirs.backward()
        assert np.isclose(float(ours.data), theirs.item(), rtol=1e-6)
        assert np.allclose(ours_logits.grad.data, logits.grad.numpy(), rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError):
        c.distillation_loss(tt.Tensor(student), tt.Tensor(teacher), tt.Tensor(labels, dtype=tt.int64), 0.0, 0.5)


def test_prune_to_and_sparsity():
    tt.manual_seed(2)
    model = tt.nn.Sequential(tt.nn.Linear(20, 30), tt.nn.ReLU(), tt.nn.Linear(30, 5))
    assert c.sparsity(model) == 0.0
    for target in (0.5, 0.8, 0.9):
        c.prune_to(model, target)
        assert abs(c.sparsity(model) - target) < 2 / 750
    assert len(c.prunable(model)) == 2

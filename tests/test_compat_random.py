"""Random numbers as PyTorch's (issue 13): after the same seed, tinytorch's generator gives PyTorch's numbers.
Bit for bit: `rand` (float32, float64), float32 `uniform_` and the initial weights it makes (`Linear`, `Conv2d`),
`randint` (ranges below and above 2^32), `randperm`, `randn` of fewer than 16 numbers (with the spare of each
Box–Muller pair carried to the next call), DataLoader shuffles over several epochs (seeded generator, or none
after `manual_seed`) and `random_split`. Close: `randn` of 16 or more (float32 to 4e-6, float64 to 1e-15) and
`Embedding`'s table. The first tests need no PyTorch: they hold known answers of PyTorch 2.13."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinytorch as tt
from tests.reference import needs_torch, torch

SEEDS = [0, 1, 12345, 2**40 + 7]


# -- known answers (torch.manual_seed(0) in PyTorch 2.13), so these run without PyTorch
def test_rand_randint_randperm_and_linear_init_equal_pytorchs_known_answers():
    tt.manual_seed(0)
    assert tt.rand(4).tolist() == np.float32([0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                                              0.13203048706054688]).tolist()
    tt.manual_seed(0)
    assert tt.randint(0, 100, (5,)).tolist() == [44, 39, 33, 60, 63]
    tt.manual_seed(0)
    assert tt.randperm(10).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    tt.manual_seed(0)
    assert tt.nn.Linear(3, 2).weight.numpy().tolist() == np.float32(
        [[-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
         [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971]]).tolist()
    tt.manual_seed(0)
    assert tt.randn(3).tolist() == np.float32([1.5409960746765137, -0.293428897857666, -2.1787893772125244]).tolist()


def test_manual_seed_restarts_the_one_default_generator():
    generator = tt.default_generator()
    assert tt.manual_seed(5) is generator and generator.initial_seed() == 5
    first = tt.rand(3).numpy()
    tt.manual_seed(5)
    assert np.array_equal(tt.rand(3).numpy(), first)
    assert tt.data.Generator().initial_seed() == 67280421310721  # torch.Generator()'s default seed


def test_the_generator_pickles_with_its_place_in_the_stream_and_its_spare_normal():
    generator = tt.manual_seed(3)
    generator.standard_normal(1)  # leaves the pair's second number as the spare
    copy = pickle.loads(pickle.dumps(generator))
    assert type(copy) is tt.MersenneTwister
    assert copy.standard_normal(5).tolist() == generator.standard_normal(5).tolist()
    assert copy.random(4).tolist() == generator.random(4).tolist()


@pytest.mark.parametrize("n", [2, 3, 7, 50, 1000, 4099])
def test_fisher_yates_without_a_loop_equals_the_loop(n):
    "randperm's vectorised Fisher–Yates gives what the front-to-back loop of swaps gives, for random offsets."
    from tinytorch.tensor import _fisher_yates

    rng = np.random.default_rng(n)
    for _ in range(200 if n < 100 else 5):
        offsets = rng.integers(0, n - np.arange(n - 1))  # step i swaps places i and i + offsets[i]
        looped = list(range(n))
        for i, offset in enumerate(offsets.tolist()):
            looped[i], looped[i + offset] = looped[i + offset], looped[i]
        assert _fisher_yates(offsets).tolist() == looped


def test_numpys_other_methods_draw_from_the_same_stream():
    a, b = tt.MersenneTwister(9), tt.MersenneTwister(9)
    assert a.normal(2.0, 3.0, 5).tolist() == b.normal(2.0, 3.0, 5).tolist()
    assert a.choice(10, 3).tolist() == b.choice(10, 3).tolist()
    assert a.integers(np.array([5, 10])).tolist() == b.integers(np.array([5, 10])).tolist()  # per-element bounds: NumPy's
    assert a.permutation(np.arange(4)).tolist() == b.permutation(np.arange(4)).tolist()
    with pytest.raises(ValueError, match="high"):
        a.integers(5, 5)


# -- against PyTorch itself
@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_integer_and_permutation_streams_equal_pytorchs_bit_for_bit(seed):
    tt.manual_seed(seed)
    torch.manual_seed(seed)
    for _ in range(2):  # the second round starts where the first left the stream
        assert np.array_equal(tt.rand(7, 3).numpy(), torch.rand(7, 3).numpy())
        assert np.array_equal(tt.rand(5, dtype=tt.float64).numpy(), torch.rand(5, dtype=torch.float64).numpy())
        assert np.array_equal(tt.rand(()).numpy(), torch.rand(()).numpy())
        assert np.array_equal(tt.randint(0, 10, (9,)).numpy(), torch.randint(0, 10, (9,)).numpy())
        assert np.array_equal(tt.randint(-3, 2**40, (9,)).numpy(), torch.randint(-3, 2**40, (9,)).numpy())
        for n in (0, 1, 2, 50, 1000, 100_000):
            assert np.array_equal(tt.randperm(n).numpy(), torch.randperm(n).numpy())
        x_tt, x_torch = tt.zeros(4, 5), torch.zeros(4, 5)
        assert np.array_equal(tt.nn.init.uniform_(x_tt, -0.3, 2.1).numpy(), torch.nn.init.uniform_(x_torch, -0.3, 2.1).numpy())
        assert np.array_equal(tt.rand(9, dtype=tt.float16).numpy(), torch.rand(9, dtype=torch.float16).numpy())
        x_tt, x_torch = tt.zeros(40, dtype=tt.float16), torch.zeros(40, dtype=torch.float16)  # rounded twice here
        np.testing.assert_allclose(tt.nn.init.uniform_(x_tt, -0.37, 1.3).numpy().astype(np.float64),
                                   torch.nn.init.uniform_(x_torch, -0.37, 1.3).numpy().astype(np.float64), rtol=1e-3)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_initial_weights_equal_pytorchs(seed):
    tt.manual_seed(seed)
    torch.manual_seed(seed)
    for ours, theirs in ((tt.nn.Linear(30, 20), torch.nn.Linear(30, 20)), (tt.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3)),
                         (tt.nn.Linear(5, 2, bias=False), torch.nn.Linear(5, 2, bias=False))):
        for name, parameter in theirs.named_parameters():
            assert np.array_equal(getattr(ours, name).numpy(), parameter.detach().numpy()), name
    ours, theirs = tt.nn.Embedding(10, 4), torch.nn.Embedding(10, 4)  # normal numbers: close, not bitwise
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=0, atol=4e-6)
    assert np.array_equal(tt.rand(3).numpy(), torch.rand(3).numpy())  # both streams consumed alike


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_normal_numbers_follow_pytorchs_box_muller(seed):
    tt.manual_seed(seed)
    torch.manual_seed(seed)
    for size in (1, 1, 3, 15):  # one pair at a time; the spare of a pair is the next call's first number
        assert np.array_equal(tt.randn(size).numpy(), torch.randn(size).numpy())
        assert np.array_equal(tt.randn(size, dtype=tt.float64).numpy(), torch.randn(size, dtype=torch.float64).numpy())
    for shape in ((16,), (37,), (300, 7)):  # blocks of 16; a last partial block recomputed from fresh uniforms
        np.testing.assert_allclose(tt.randn(*shape).numpy(), torch.randn(*shape).numpy(), rtol=0, atol=4e-6)
        np.testing.assert_allclose(tt.randn(*shape, dtype=tt.float64).numpy(),
                                   torch.randn(*shape, dtype=torch.float64).numpy(), rtol=1e-15, atol=1e-15)
    x = tt.zeros(2, 3, dtype=tt.float64)
    assert np.array_equal(tt.randn_like(x).numpy(), torch.randn_like(torch.zeros(2, 3, dtype=torch.float64)).numpy())
    assert np.array_equal(tt.rand(5).numpy(), torch.rand(5).numpy())


@needs_torch
@pytest.mark.parametrize("seeded_generator", [True, False])
def test_dataloader_shuffles_in_pytorchs_order_epoch_after_epoch(seeded_generator):
    tt.manual_seed(4)
    torch.manual_seed(4)
    make = {tt: lambda: tt.data.Generator().manual_seed(7), torch: lambda: torch.Generator().manual_seed(7)}
    loaders = [lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.arange(23)), batch_size=5, shuffle=True,
                                         generator=make[lib]() if seeded_generator else None) for lib in (tt, torch)]
    for _ in range(3):
        ours, theirs = ([batch[0].tolist() for batch in loader] for loader in loaders)
        assert ours == theirs


@needs_torch
def test_random_split_draws_pytorchs_permutation():
    generator = (tt.data.Generator().manual_seed(2), torch.Generator().manual_seed(2))
    ours, theirs = (lib.utils.data.random_split(range(10), [4, 6], generator=g) for lib, g in zip((tt, torch), generator))
    assert [list(map(int, s.indices)) for s in ours] == [list(s.indices) for s in theirs]
    tt.manual_seed(8)
    torch.manual_seed(8)  # no generator: the default one
    ours, theirs = (lib.utils.data.random_split(range(12), [0.5, 0.5]) for lib in (tt, torch))
    assert [list(map(int, s.indices)) for s in ours] == [list(s.indices) for s in theirs]

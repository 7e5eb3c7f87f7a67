"""Checkpoint of 18_compression, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "the digits MLP with 90 % of its weights pruned: within 1.5 points, over 5x smaller in CSR"
LIMIT = ("Pruning, sparse storage, shrinking, distillation and low rank each gave a model and a number or two, "
         "measured once, on a small test set and a shared machine: nothing compares them fairly. 19 builds the "
         "benchmarking tools (intervals, profilers, FLOP and byte counts) that do.")


def check_pruning_interface():
    "l1_unstructured keeps the largest weights behind weight_orig and weight_mask, and remove makes it permanent"
    import numpy as np

    import tinytorch as tt
    from tinytorch.layers import Linear
    layer = Linear(3, 2)
    layer.weight.data = np.array([[0.5, -0.1, 2.0], [-3.0, 0.2, 0.05]], np.float32)
    tt.nn.utils.prune.l1_unstructured(layer, "weight", amount=0.5)
    mask = layer.weight_mask.data.tolist()
    assert mask == [[1, 0, 1], [1, 0, 0]], f"l1_unstructured(amount=0.5) gave the mask {mask}; expected [[1, 0, 1], [1, 0, 0]]"
    tt.nn.utils.prune.remove(layer, "weight")
    names = [name for name, _ in layer.named_parameters()]
    assert "weight" in names and not tt.nn.utils.prune.is_pruned(layer), f"after remove the parameters are {names}"


def check_csr():
    "to_csr and csr_matmul agree with the dense matrix, empty rows included"
    import numpy as np

    from tinytorch.compression import to_csr
    rng = np.random.default_rng(0)
    dense = (rng.standard_normal((50, 40)) * (rng.random((50, 40)) < 0.1)).astype(np.float32)
    dense[10:20] = 0
    sparse = to_csr(dense)
    x, batch = rng.standard_normal(40).astype(np.float32), rng.standard_normal((40, 3)).astype(np.float32)
    assert np.allclose(sparse @ x, dense @ x, atol=1e-5) and np.allclose(sparse @ batch, dense @ batch, atol=1e-5), (
        "the CSR product of a 50x40 matrix (10 % nonzero, rows 10-19 empty) differs from the dense product")
    assert sparse.nbytes == 8 * sparse.nnz + 4 * 51, f"the CSR matrix takes {sparse.nbytes} bytes; expected 8 per entry + 4 per offset"


def check_pruned_mlp():
    "the digits MLP pruned to 90 % in rounds with fine-tuning loses at most 1.5 points and is over 5x smaller in CSR"
    import copy

    import numpy as np

    from tinytorch import manual_seed
    from tinytorch.compression import prune_to, remove, sparsity, to_csr
    from tinytorch.layers import Flatten, Linear, ReLU, Sequential
    from tinytorch.losses import CrossEntropyLoss
    from tinytorch.optimizers import Adam
    from tinytorch.tensor import Tensor
    from tinytorch.training import Trainer, load_digits, train_test_split
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)

    def train(model, epochs):
        Trainer(model, CrossEntropyLoss(), Adam(model.parameters(), lr=3e-3), seed=0).fit(
            X_train, y_train, epochs=epochs, batch_size=64, progress=False)
        model.eval()
        return float((model(Tensor(X_test)).data.argmax(axis=1) == y_test).mean())

    manual_seed(0)
    dense = Sequential(Flatten(), Linear(64, 256), ReLU(), Linear(256, 10))
    dense_accuracy = train(dense, 10)
    pruned = copy.deepcopy(dense)
    for target in (0.5, 0.7, 0.8, 0.85, 0.9):
        accuracy = train(prune_to(pruned, target), 3)
    assert sparsity(pruned) >= 0.899 and dense_accuracy - accuracy <= 0.015, (
        f"pruned to {sparsity(pruned):.1%}: accuracy {accuracy:.2%} against {dense_accuracy:.2%} dense; "
        "expected at least 90 % zeros and at most 1.5 points lost")
    for index in (1, 3):
        remove(pruned[index], "weight")
    dense_bytes = sum(pruned[i].weight.data.nbytes for i in (1, 3))
    csr_bytes = sum(to_csr(pruned[i].weight.data, np.int16).nbytes for i in (1, 3))
    assert dense_bytes / csr_bytes >= 5, f"the pruned weights take {csr_bytes:,} bytes in CSR, {dense_bytes / csr_bytes:.1f}x less; expected 5x"

"""Checkpoint of 10_dataloader, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a DataLoader keeps the model fed"
LIMIT = ("The course's models are small and see only digits: they read no text. 11 begins the language "
         "arc by turning text into tokens.")


def _loader(**options):
    import numpy as np
    import tinytorch as tt
    data = tt.utils.data.TensorDataset(tt.tensor(np.arange(50.0).reshape(25, 2)), tt.tensor(np.arange(25)))
    return tt.utils.data.DataLoader(data, batch_size=4, shuffle=True, generator=tt.Generator().manual_seed(3),
                                    **options)


def check_epoch():
    "one shuffled epoch yields every sample exactly once, in batches of 4 and a last one of 1"
    import numpy as np
    loader = _loader()
    batches = [labels.numpy() for _, labels in loader]
    assert len(loader) == 7 and [len(b) for b in batches] == [4] * 6 + [1], (
        f"25 samples in batches of 4 gave len {len(loader)} and batch sizes {[len(b) for b in batches]}")
    assert sorted(np.concatenate(batches).tolist()) == list(range(25)), "an epoch must visit every sample once"
    assert not np.array_equal(np.concatenate(batches), np.arange(25)), "shuffle=True returned the samples in order"


def check_workers():
    "two worker processes give the same batches as the main process, with the same seed"
    import numpy as np
    serial = [labels.numpy() for _, labels in _loader()]
    parallel = [labels.numpy() for _, labels in _loader(num_workers=2)]
    assert len(serial) == len(parallel) and all(np.array_equal(a, b) for a, b in zip(serial, parallel)), (
        "num_workers=2 gave different batches from num_workers=0 with the same seeded generator")


def check_training():
    "the Trainer trains a digits MLP from a DataLoader to 90 % test accuracy"
    import tinytorch as tt
    from tinytorch.training import Trainer, accuracy, load_digits, train_test_split
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    loader = tt.utils.data.DataLoader(tt.utils.data.TensorDataset(tt.tensor(X_train), tt.tensor(y_train)),
                                      batch_size=64, shuffle=True, generator=tt.Generator().manual_seed(0))
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Linear(64, 64), tt.nn.ReLU(), tt.nn.Linear(64, 10))
    Trainer(model, tt.nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=3e-3)).fit(
        loader, epochs=5, progress=False)
    with tt.no_grad():
        score = accuracy(model(tt.tensor(X_test)), tt.tensor(y_test))
    assert score >= 0.90, f"test accuracy {score:.1%} after 5 epochs from a DataLoader (want at least 90 %)"

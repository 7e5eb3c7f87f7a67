"""Checkpoint of 08_training, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "an MLP reaches 95 % on the digits"
LIMIT = ("The MLP learns each digit at each position separately: shifted by one pixel, its accuracy "
         "halves, and its size grows with the image. 09 builds convolutions.")


def check_digits():
    "a 64-128-10 MLP trained with the Trainer reaches 95 % test accuracy"
    import tinytorch as tt
    from tinytorch.training import Trainer, accuracy, load_digits, train_test_split
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Linear(64, 128), tt.nn.ReLU(), tt.nn.Linear(128, 10))
    trainer = Trainer(model, tt.nn.CrossEntropyLoss(), tt.optim.Adam(model.parameters(), lr=1e-3))
    trainer.fit(X_train, y_train, epochs=30, batch_size=64, progress=False)
    with tt.no_grad():
        score = accuracy(model(tt.tensor(X_test)), tt.tensor(y_test))
    assert score >= 0.95, f"test accuracy {score:.1%} after 30 epochs (want at least 95 %)"

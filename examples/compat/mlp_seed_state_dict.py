"""An MLP: seeded reproducibility, training with Adam, and its `state_dict` saved to a file with
`torch.save` and loaded into a fresh model with `torch.load`, which then computes the same outputs. Initial weights come from NumPy through `load_state_dict`, so
both libraries train the same network."""
import os
import tempfile

import numpy as np


def run(torch, steps: int = 100) -> dict:
    def make_model():
        return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()

    torch.manual_seed(0)
    first = torch.randn(5, 4, dtype=torch.float64)
    torch.manual_seed(0)
    again = torch.randn(5, 4, dtype=torch.float64)

    rng = np.random.default_rng(3)
    model = make_model()
    model.load_state_dict({name: torch.tensor(rng.normal(0, 0.5, tuple(p.shape)), dtype=torch.float64)
                           for name, p in model.state_dict().items()})
    X = torch.tensor(rng.standard_normal((64, 4)), dtype=torch.float64)
    labels = torch.tensor(rng.integers(0, 3, 64))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), labels)
        loss.backward()
        optimizer.step()

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mlp.pt")
        torch.save(model.state_dict(), path)
        restored = make_model()
        restored.load_state_dict(torch.load(path))
    with torch.no_grad():
        same = bool((restored(X) == model(X)).all())
        accuracy = (model(X).argmax(dim=1) == labels).double().mean().item()
    return {"seeded_repeat": bool((first == again).all()), "loss": loss.item(), "accuracy": accuracy,
            "restored_outputs_equal": same}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)

"""A small CNN with BatchNorm2d: trained a few steps (which moves the running statistics), its
`state_dict` holds the buffers under PyTorch's names (`1.running_mean`, `1.running_var`,
`1.num_batches_tracked`), and after `torch.save` / `torch.load` into a fresh model, evaluation mode
gives the same outputs. Initial weights come from NumPy through `load_state_dict` (strict=False: the
buffers start at their defaults), so both libraries train the same network."""
import os
import tempfile

import numpy as np

EXPECTED_KEYS = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                 "1.num_batches_tracked", "5.weight", "5.bias"]


def run(torch, steps: int = 5) -> dict:
    def make_model():
        return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                   torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 3)).double()

    rng = np.random.default_rng(5)
    model = make_model()
    parameters = {name: torch.tensor(rng.normal(0, 0.5, tuple(p.shape)), dtype=torch.float64)
                  for name, p in model.named_parameters()}
    missing = model.load_state_dict(parameters, strict=False).missing_keys
    X = torch.tensor(rng.standard_normal((16, 1, 8, 8)), dtype=torch.float64)
    labels = torch.tensor(rng.integers(0, 3, 16))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), labels)
        loss.backward()
        optimizer.step()
    model.eval()
    state = model.state_dict()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "cnn.pt")
        torch.save(state, path)
        restored = make_model()
        restored.load_state_dict(torch.load(path))
    restored.eval()
    with torch.no_grad():
        same = bool((restored(X) == model(X)).all())
        eval_output_sum = model(X).sum().item()
    return {"state_dict_keys_as_expected": list(state) == EXPECTED_KEYS,
            # (PyTorch's BatchNorm does not report a missing num_batches_tracked: old checkpoints lack it)
            "missing_keys_name_running_stats": missing[:2] == ["1.running_mean", "1.running_var"],
            "buffers_not_parameters": len(list(model.parameters())) == 6 and len(list(model.buffers())) == 3,
            "loss": loss.item(), "running_mean": state["1.running_mean"].numpy(),
            "running_var": state["1.running_var"].numpy(),
            "num_batches_tracked": int(state["1.num_batches_tracked"].item()),
            "eval_output_sum": eval_output_sum, "restored_outputs_equal": same}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)

"""Logistic regression on two Gaussian blobs with a custom `nn.Module`, `BCELoss` and SGD; the
initial weights are copied in under `no_grad` with `copy_` and `fill_`."""
import numpy as np


def run(torch, epochs: int = 200) -> dict:
    rng = np.random.default_rng(2)
    points = np.concatenate([rng.normal(-1, 1, (100, 2)), rng.normal(1.5, 1, (100, 2))])
    labels = np.concatenate([np.zeros(100), np.ones(100)])[:, None]
    X = torch.tensor(points, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)

    class LogisticRegression(torch.nn.Module):
        def __init__(self, n_features):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, 1)

        def forward(self, x):
            return torch.sigmoid(self.linear(x))

    model = LogisticRegression(2).double()
    with torch.no_grad():
        model.linear.weight.copy_(torch.tensor([[0.1, -0.2]], dtype=torch.float64))
        model.linear.bias.fill_(0.05)
    criterion = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = ((model(X) > 0.5).double() == y).double().mean().item()
    return {"loss": loss.item(), "accuracy": accuracy, "w0": model.linear.weight[0, 0].item(),
            "w1": model.linear.weight[0, 1].item(), "bias": model.linear.bias.item()}


if __name__ == "__main__":
    from _common import main
    main(run, __doc__)

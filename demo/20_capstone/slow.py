# %% optimize
#| solution optimize
# Demo student "slow": the reference's model (channels cut, distilled, int8), but run one image at a time in a Python
# loop. It is as small and as accurate as the reference, so every claim but the latency holds: it fails only the
# performance test (the claimed "not slower than the baseline").
class OneAtATime(Module):
    "Runs `model` on each image of a batch separately and stacks the results."

    def __init__(self, model: Module):
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return Tensor(np.concatenate([self.model(Tensor(x.data[i:i + 1])).data for i in range(x.shape[0])]))


def optimize(baseline: Module) -> Module:
    "Your optimised model, built from a copy of `baseline` (which stays unchanged)."
    student = prune_channels(baseline, [12, 24])
    distill(student, baseline, X_train, y_train, epochs=4, lr=1e-3)
    return OneAtATime(quantize_model(student, per_channel=True))

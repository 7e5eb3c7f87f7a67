"""Checkpoint of 14_transformers, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a small GPT writes Shakespeare-like text after beating the bigram model"
LIMIT = ("generate recomputes the whole prefix for every new token: the time per token grows with the length of "
         "the text. 15 makes the step itself faster, 16 caches the keys and values of the prefix.")


def check_layer_norm():
    "layer norm gives every position mean 0 and variance 1, and its gradients agree with central differences"
    import numpy as np
    import tinytorch as tt
    data = np.random.default_rng(0).standard_normal((3, 6)) * 4 + 2
    x = tt.tensor(data, requires_grad=True)
    out = tt.nn.functional.layer_norm(x, 6)
    assert np.allclose(out.numpy().mean(-1), 0) and np.allclose(out.numpy().var(-1), 1, atol=1e-4), (
        f"layer_norm's rows have means {out.numpy().mean(-1).round(4).tolist()} and variances "
        f"{out.numpy().var(-1).round(4).tolist()}; expected 0 and 1")
    weights = np.arange(18.0).reshape(3, 6)
    (out * tt.tensor(weights)).sum().backward()
    bumped, lowered = data.copy(), data.copy()
    bumped[1, 2] += 1e-6
    lowered[1, 2] -= 1e-6
    total = [(tt.nn.functional.layer_norm(tt.tensor(d), 6).numpy() * weights).sum() for d in (bumped, lowered)]
    numeric = (total[0] - total[1]) / 2e-6
    assert abs(numeric - x.grad.numpy()[1, 2]) < 1e-5, (
        f"d(sum)/dx[1, 2]: backward gave {x.grad.numpy()[1, 2]:.6f}, central differences {numeric:.6f}")


def check_gpt():
    "a GPT maps ids to next-token logits without looking ahead, and learns a repeated sequence"
    import numpy as np
    import tinytorch as tt
    from tinytorch.transformer import GPT, GPTConfig, causal_lm_loss
    tt.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=7, block_size=6, n_layer=2, n_head=2, n_embd=16))
    ids = np.array([[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0]])
    logits = model(ids).numpy()
    assert logits.shape == (2, 6, 7), f"GPT on ids of shape (2, 6) gave logits of shape {logits.shape}; expected (2, 6, 7)"
    later = ids.copy()
    later[:, 4:] = 6
    assert np.allclose(model(later).numpy()[:, :4], logits[:, :4], atol=1e-5), "changing ids 4-5 changed the logits of positions 0-3"
    optimizer = tt.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(40):
        optimizer.zero_grad()
        loss = causal_lm_loss(model(ids), ids)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.2, f"after 40 steps on two fixed sequences the loss is {loss.item():.3f}; expected below 0.2"


def check_generate():
    "generate continues a prompt, the same way for the same seed"
    import numpy as np
    import tinytorch as tt
    from tinytorch.transformer import GPT, GPTConfig
    tt.manual_seed(1)
    model = GPT(GPTConfig(vocab_size=9, block_size=4, n_layer=1, n_head=1, n_embd=8))
    first = model.generate(np.array([[1, 2]]), 10, temperature=0.9, top_k=5, generator=7).numpy()
    again = model.generate(np.array([[1, 2]]), 10, temperature=0.9, top_k=5, generator=7).numpy()
    assert first.shape == (1, 12) and first[0, :2].tolist() == [1, 2], f"generate([[1, 2]], 10) gave {first.tolist()}"
    assert np.array_equal(first, again), f"the same seed gave {first.tolist()} and {again.tolist()}"

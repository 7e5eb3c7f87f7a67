"""Checkpoint of 16_caching, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "a GPT generates with a KV cache: the same ids as without it, each step computing one position"
LIMIT = ("The cache trades arithmetic for memory: 2 x layers x heads x length x head_dim float32 numbers per "
         "sequence, on top of float32 weights. 17 measures what narrower numbers (float16, bfloat16, int8) save "
         "and cost.")


def check_cache_fills_by_position():
    "KVCache.update appends a layer's new positions and returns all of them"
    import numpy as np

    from tinytorch.caching import KVCache
    cache = KVCache(1, 1, 2, 4, 8)
    ones = np.ones((1, 2, 3, 4), np.float32)
    cache.update(0, ones, ones)
    keys, values = cache.update(0, 2 * ones[:, :, :1], ones[:, :, :1])
    assert keys.shape == (1, 2, 4, 4) and keys[0, 0, :, 0].tolist() == [1, 1, 1, 2], (
        f"after updates of 3 and 1 positions the keys are {keys[0, 0, :, 0].tolist()}; expected [1, 1, 1, 2]")
    assert cache.nbytes == 2 * 1 * 1 * 2 * 8 * 4 * 4, f"the cache takes {cache.nbytes} bytes; expected 2·L·B·H·T·D·4"


def check_same_tokens():
    "generate(use_cache=True) draws the same ids as without the cache, past block_size too"
    import numpy as np

    from tinytorch.tensor import manual_seed
    from tinytorch.transformer import GPT, GPTConfig
    manual_seed(0)
    model = GPT(GPTConfig(vocab_size=17, block_size=12, n_layer=2, n_head=2, n_embd=16))
    prompt = np.array([[1, 5, 9]])
    plain = model.generate(prompt, 14, generator=5).numpy().tolist()
    cached = model.generate(prompt, 14, generator=5, use_cache=True).numpy().tolist()
    assert cached == plain, f"with the cache the ids are {cached}; without it {plain}"

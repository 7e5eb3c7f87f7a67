"""Checkpoint of 12_embeddings, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "token ids become trainable vectors; a bigram model learns Shakespeare's letter pairs"
LIMIT = ("A bigram model sees one token of context: after 'th' it does not know the 't'. Each position needs "
         "to look back at every earlier one; 13 builds attention.")


def check_repeated_ids_accumulate():
    "the gradient of an embedding adds every occurrence of a repeated id, and the padding row gets none"
    import numpy as np
    from tinytorch import tensor
    from tinytorch.embeddings import Embedding
    layer = Embedding(5, 2, padding_idx=4)
    layer(tensor([[3, 3, 1], [3, 4, 4]])).sum().backward()
    rows = layer.weight.grad.data[:, 0].tolist()
    assert rows == [0, 1, 0, 3, 0], (
        f"Embedding(5, 2, padding_idx=4) looked up at [[3, 3, 1], [3, 4, 4]] got gradient rows {rows}; "
        "expected [0, 1, 0, 3, 0]: id 3 occurs three times, the padding id 4 gets nothing")
    assert not np.any(layer.weight.data[4]), "the padding row must start at zero"


def check_bigram_beats_uniform():
    "a bigram model trained briefly on Tiny Shakespeare's characters beats the uniform guess by a wide margin"
    import numpy as np
    from tinytorch import manual_seed
    from tinytorch.data import DataLoader, Generator
    from tinytorch.embeddings import BigramLanguageModel, TokenWindows, next_token_loss
    from tinytorch.optimizers import Adam
    from tinytorch.text import CharTokenizer, load_tinyshakespeare
    from tinytorch.training import Trainer
    text = load_tinyshakespeare()[:120_000]
    chars = CharTokenizer(text)
    ids = np.array(chars.encode(text), dtype=np.int64)
    manual_seed(0)
    model = BigramLanguageModel(chars.vocab_size)
    trainer = Trainer(model, next_token_loss, Adam(model.parameters(), lr=0.1), metrics={})
    loader = DataLoader(TokenWindows(ids[:100_000], 64), batch_size=32, shuffle=True, generator=Generator(0))
    history = trainer.fit(loader, epochs=2, val_data=DataLoader(TokenWindows(ids[100_000:], 64), batch_size=128),
                          progress=False)
    uniform = float(np.log(chars.vocab_size))
    assert history["val_loss"][-1] < uniform - 1.2, (
        f"validation loss {history['val_loss'][-1]:.2f} nats per character after 2 epochs; expected below "
        f"{uniform - 1.2:.2f} (the uniform guess is {uniform:.2f})")

"""Checkpoint of 11_tokenization, run by `tito checkpoint` against the student's own library (each `check_*`
function a step, in order, in a fresh process; see 01_setup.checkpoint.py)."""
CAPABILITY = "text becomes tokens and back, exactly"
LIMIT = ("Token ids are arbitrary integers: id 300 is no closer to 301 than to 7. A model needs vectors it "
         "can learn; 12 builds embeddings.")


def _shakespeare(characters: int) -> str:
    from tinytorch.text import load_tinyshakespeare
    return load_tinyshakespeare()[:characters]


def check_bpe_round_trip():
    "a byte-level BPE trained on Shakespeare decodes any text to exactly what was encoded"
    from tinytorch.text import BPETokenizer
    tokenizer = BPETokenizer.train(_shakespeare(20_000), vocab_size=300)
    for text in ("To be, or not to be", "naïve café — 東京 🙂", "<|endoftext|>First Citizen:\n\n", ""):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text, f"decode(encode({text!r})) gave {tokenizer.decode(ids)!r}"
    ids = tokenizer.encode("Before we proceed any further, hear me speak.")
    assert len(ids) < len("Before we proceed any further, hear me speak.".encode()), (
        "merges learnt from Shakespeare should make an English sentence shorter than its bytes")


def check_incremental_training():
    "the incremental trainer learns the same merges as the naive recount"
    from tinytorch.text import train_bpe, train_bpe_naive
    text = _shakespeare(5_000)
    assert train_bpe(text, 296) == train_bpe_naive(text, 296), (
        "train_bpe and train_bpe_naive learnt different merges from the same text")

# %% train_bpe
#| export
#| solution train_bpe
# Demo student "slow": a correct trainer that recounts every pair and rewrites every word after each
# merge (the naive trainer written again). It learns the right merges and passes every correctness
# test, but rewrites ~50x more words than needed and fails the performance test.
def train_bpe(text: str, vocab_size: int, special_tokens: Iterable[str] = ()) -> list[tuple[int, int]]:
    """The merges of `train_bpe_naive(text, vocab_size, special_tokens)`, with pair counts updated only in the
    words that a merge changes and the most frequent pair taken from a heap of (-count, pair) entries."""
    words, freqs = chunk_words(text)
    merges = []
    for new_id in range(256, 256 + merges_wanted(vocab_size, special_tokens)):
        counts = pair_counts(words, freqs)
        if not counts:
            break
        best = max(counts.values())
        pair = min(p for p, c in counts.items() if c == best)
        words = [merge_pair(word, pair, new_id) for word in words]
        merges.append(pair)
    return merges

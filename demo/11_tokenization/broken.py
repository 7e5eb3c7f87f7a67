# %% char_tokenizer (edit)
<<<<<<< reference
        for position, char in enumerate(text):
=======
        # Demo student "broken": a missing colon is a SyntaxError; CharTokenizer is never defined
        for position, char in enumerate(text)
>>>>>>> student
# %% bpe_tokenizer (edit)
<<<<<<< reference
            ids = merge_pair(ids, pair, ranks[pair])
=======
            ids = merge_pair(ids, ranks[pair], pair)  # Demo student "broken": arguments swapped (a TypeError)
>>>>>>> student

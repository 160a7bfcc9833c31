#!/usr/bin/python3
# An independent reference for BERT's WordPiece tokenization, written after Google's original
# tokenization.py (BasicTokenizer + WordpieceTokenizer, the code BERT was trained with): clean the
# text, split CJK characters, lowercase and strip accents (uncased models), split on whitespace and
# punctuation, then greedy longest-match-first WordPiece with '##' continuations.
# It writes tests/fixtures/bert-wordpiece.json: a vocabulary and, for each text, the tokens and ids
# the original algorithm gives, cased and uncased. tests/unit/bert-tokenizer.test.ts checks that the
# tokenizer.json RM Lab builds from vocab.txt (src/core/model/bert-tokenizer.ts), run by
# @huggingface/tokenizers, gives exactly these.
#
# Regenerate:  /usr/bin/python3 scripts/reference/bert_wordpiece_reference.py
import json
import os
import unicodedata

VOCAB = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + list(".,!?;:'\"()-/")
    + list("abcdefghijklmnopqrstuvwxyz0123456789")
    + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    + ["the", "a", "is", "what", "of", "and", "to", "in", "answer", "question", "good", "bad", "two",
       "plus", "four", "capital", "france", "paris", "write", "poem", "about", "cat", "dog", "yes", "no",
       "help", "please", "thank", "you", "model", "reward", "run", "train", "wrong", "right", "café",
       "The", "Paris", "France", "un", "##believ", "##able", "日", "本"]
    + ["##s", "##ing", "##ed", "##er", "##ly"]
    + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
)

TEXTS = [
    "What is two plus four?",
    "The capital of France is Paris.",
    "  Write a poem   about a cat\tand a dog!\n",
    "Unbelievable: the café's answer was WRONG...",
    "Help, please -- thank you (2 cats, 4 dogs).",
    "naïve résumé Ünïcödé",
    "日本 is in 日本語 text",
    "trained training trainer rewards runs",
    "supercalifragilisticexpialidocious",
    "x" * 120,
    "emoji 🙂 and zero\u200bwidth and control\x07char",
    "",
]


def is_whitespace(c):
    if c in " \t\n\r":
        return True
    return unicodedata.category(c) == "Zs"


def is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c) in ("Cc", "Cf")


def is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_chinese(cp):
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokenize(text, lower):
    text = "".join(" " if is_whitespace(c) else c for c in text if not (ord(c) in (0, 0xFFFD) or is_control(c)))
    text = "".join(" %s " % c if is_chinese(ord(c)) else c for c in text)
    out = []
    for word in text.split():
        if lower:
            word = word.lower()
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
        current = []
        for c in word:
            if is_punctuation(c):
                if current:
                    out.append("".join(current))
                    current = []
                out.append(c)
            else:
                current.append(c)
        if current:
            out.append("".join(current))
    return out


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def tokenize(text, vocab, lower):
    return [p for w in basic_tokenize(text, lower) for p in wordpiece(w, vocab)]


def main():
    vocab = {t: i for i, t in enumerate(VOCAB)}
    cases = []
    for text in TEXTS:
        for lower in (True, False):
            tokens = tokenize(text, vocab, lower)
            cases.append({"text": text, "lowercase": lower, "tokens": tokens, "ids": [vocab[t] for t in tokens]})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "bert-wordpiece.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"vocab": VOCAB, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path), len(cases), "cases")


if __name__ == "__main__":
    main()

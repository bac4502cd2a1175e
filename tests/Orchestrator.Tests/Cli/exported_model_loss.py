"""Loads a model written by `rnnsweep export-model` with stock PyTorch and prints its loss on a text.

Usage: python3 exported_model_loss.py RUN.pt RUN.json TEXT_FILE
The model is built from torch.nn modules as docs/model-export.md shows; the text is encoded with the exported
vocabulary and read as the Worker reads a split (the config's "evaluation"); prints the mean loss in nats/symbol.
"""
import json
import sys

import torch


class CharRnn(torch.nn.Module):
    """The exported model: [embedding or one-hot] -> torch.nn.LSTM/GRU/RNN -> torch.nn.Linear (docs/model-export.md)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        if cfg["embedding"]:
            self.embedding = torch.nn.Embedding(**cfg["embedding"]["args"])
        recurrent = getattr(torch.nn, cfg["recurrent"]["module"].split(".")[-1])
        setattr(self, cfg["recurrent"]["prefix"].rstrip("."), recurrent(**cfg["recurrent"]["args"]))
        self.head = torch.nn.Linear(**cfg["head"]["args"])

    def forward(self, x, state=None):
        size = self.cfg["vocabulary"]["size"]
        inputs = self.embedding(x) if self.cfg["embedding"] else torch.nn.functional.one_hot(x, size).float()
        output, state = getattr(self, self.cfg["recurrent"]["prefix"].rstrip("."))(inputs, state)
        return self.head(output), state


def encode(cfg, text):
    vocabulary = cfg["vocabulary"]
    if vocabulary["kind"] == "bytes":
        index = {b: i for i, b in enumerate(vocabulary["bytes"])}
        return [index[b] for b in text.encode("utf-8")]
    index = {c: i for i, c in enumerate(vocabulary["symbols"])}
    return [index[c] for c in text]


def loss(model, cfg, ids):
    """The Worker's evaluation pass: min(streams, N-1) contiguous streams, seq_length steps at a time, state carried."""
    streams = min(cfg["evaluation"]["streams"], len(ids) - 1)
    length = (len(ids) - 1) // streams
    seq = cfg["evaluation"]["seq_length"]
    data = torch.tensor(ids, dtype=torch.long)
    total, count, state = 0.0, 0, None
    model.eval()
    with torch.no_grad():
        for position in range(0, length, seq):
            steps = min(seq, length - position)
            windows = torch.stack([data[b * length + position: b * length + position + steps + 1] for b in range(streams)])
            logits, state = model(windows[:, :-1], state)
            targets = windows[:, 1:].reshape(-1)
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets, reduction="sum").item()
            count += targets.shape[0]
    return total / count


def main():
    pt, config, text_file = sys.argv[1:4]
    cfg = json.load(open(config, encoding="utf-8"))
    model = CharRnn(cfg)
    model.load_state_dict(torch.load(pt))  # strict: every exported tensor has its module, and every module its tensor
    text = open(text_file, encoding="utf-8", newline="").read()
    print(f"{loss(model, cfg, encode(cfg, text)):.8f}")


if __name__ == "__main__":
    main()

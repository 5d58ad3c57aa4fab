"""The word-level language model of pytorch/examples (word_language_model/model.py, RNNModel),
written again for specs/lstm_lm.yaml's round trip, with its constructor's arguments and its
modules' names (`encoder`, `drop`, `rnn`, `decoder`).

Three changes make it a model a spec describes, and each leaves every count as it was:
- batch first (`batch_first=True`): a spec's sequences are; the example runs (L, N).
- `hidden` may be left out: the recurrent module then starts from zeros, as `init_hidden` gives.
- forward returns the logits at every position, (N, L, ntoken), as the zoo spec's `out` layer,
  where the example's returns log_softmax over them flattened to rows, and the new state:
  neither adds a parameter or a multiply-accumulate that FlopCounterMode counts.
"""

from __future__ import annotations

import torch
from torch import nn

RECURRENT = {"LSTM": nn.LSTM, "GRU": nn.GRU}
NONLINEARITY = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}


class RNNModel(nn.Module):
    """Embedding (`encoder`), dropout, a stack of recurrent layers, dropout, a linear decoder."""

    def __init__(
        self,
        rnn_type: str,
        ntoken: int,
        ninp: int,
        nhid: int,
        nlayers: int,
        dropout: float = 0.5,
        tie_weights: bool = False,
    ) -> None:
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn: nn.Module
        if rnn_type in RECURRENT:
            self.rnn = RECURRENT[rnn_type](ninp, nhid, nlayers, dropout=dropout, batch_first=True)
        elif rnn_type in NONLINEARITY:
            nonlinearity = NONLINEARITY[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout, batch_first=True)
        else:
            raise ValueError(f"rnn_type {rnn_type!r}: one of LSTM, GRU, RNN_TANH, RNN_RELU")
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:  # the decoder reads the embedding's table (Press & Wolf 2016)
            if nhid != ninp:
                raise ValueError("tied weights need nhid == ninp")
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input: torch.Tensor, hidden: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.drop(self.encoder(input))
        output, _ = self.rnn(emb, hidden)
        return self.decoder(self.drop(output))

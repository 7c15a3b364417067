"""Limits shared by the network builders and the model-file loader (no Keras import).

What ``fit`` may build and what ``load`` accepts are the same networks: a saved model always
loads again.
"""

from __future__ import annotations

__all__ = ["MAX_LAYERS"]

#: Most layers a network may have: :func:`~forecastkit.models.builders.build_regressor`
#: refuses a larger ensemble before building it, and :func:`forecastkit.persistence.load`
#: refuses a file naming more (Keras takes seconds to wire thousands of layers, then
#: overflows the stack). An ensemble member of one recurrent layer has three (the layer,
#: its head, a reshape), so ``n_models`` up to 84 fit.
MAX_LAYERS = 256

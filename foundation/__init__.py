"""The lowest layer: what every other package speaks and nothing here imports from above.

``errors`` (the one error root; each class owns its exit code), ``redact`` (secrets out of every text),
``evidence`` (the vocabulary: observations, their values and provenance), ``ids`` (the well-known observation
ids), ``jsonfile`` (defensive JSON reading) and ``numbers`` (strict number parsing). See docs/architecture.md.
"""

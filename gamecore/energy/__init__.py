"""Reusable energy-component models (cvxpy building blocks with no knowledge of games).

* :mod:`gamecore.energy.storage` — battery / thermal storage: parameters, convex
  (complementarity-free) constraints for any horizon, the storage-energy-equivalent
  transformation and the exactness check of the relaxation.
"""

from gamecore.energy.storage import (
    Storage,
    StorageModel,
    equivalence_condition,
    soc_trajectory,
    storage_model,
    storage_violations,
    surplus,
    to_exclusive,
)

__all__ = ["Storage", "StorageModel", "equivalence_condition", "soc_trajectory", "storage_model",
           "storage_violations", "surplus", "to_exclusive"]

"""Distribution-network models for the DSO level of seed 002 (P2P trading in a reconfigurable
distribution network): feeder data from pandapower, the switched DistFlow SOCP, graph-based
radiality constraints with binary reduction, AC validation and loss-minimising reconfiguration.

Modules: :mod:`~gamecore.network.data`, :mod:`~gamecore.network.distflow`,
:mod:`~gamecore.network.radiality`, :mod:`~gamecore.network.ac_check`,
:mod:`~gamecore.network.reconfiguration`. pandapower is imported lazily (only to load a feeder
or run an AC power flow).
"""

from gamecore.network.data import Feeder, load_feeder, load_profile
from gamecore.network.reconfiguration import ReconfigurationResult, reconfigure

__all__ = ["Feeder", "ReconfigurationResult", "load_feeder", "load_profile", "reconfigure"]

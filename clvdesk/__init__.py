"""clvdesk: how much an unhappy customer is worth appeasing, computed from their residual CLV."""

__version__ = "0.1.0"

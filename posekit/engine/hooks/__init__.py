"""Training hooks."""
from .safe_checkpoint import SafeCheckpointHook

__all__ = ['SafeCheckpointHook']

"""Plug-in projects: modules that extend posekit without changing it, each loaded by its
configs through ``custom_imports`` (see ``docs/adding_a_loss.md`` and
``docs/adding_a_head.md``)."""

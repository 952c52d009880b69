"""posekit: a registry-driven toolbox for animal pose estimation."""
__version__ = '0.1.0'

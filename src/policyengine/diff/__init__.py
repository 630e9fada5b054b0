"""`policyengine diff`: which changes between two versions of a policy are material."""

from .change import Change
from .compare import compare
from .kinds import KINDS

__all__ = ["Change", "KINDS", "compare"]

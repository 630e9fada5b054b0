"""policyengine: privacy policy as code.

Stages, each a public function, data flowing one way:
text -> ``parse`` -> AST -> ``validate`` -> diagnostics / ``load_policy`` ->
``compile_policy`` -> ``check`` -> findings -> report.
"""

from .ast import PolicyFile
from .diagnostics import Diagnostic, PolicyError, PolicyInvalid
from .fmt import format_policy
from .lint import lint_paths
from .loading import ScrubberSettings, find_purpose, load_policy, scrubber_settings
from .parser import ParseFailed, parse
from .validate import validate

__all__ = [
    "Diagnostic", "ParseFailed", "PolicyError", "PolicyFile", "PolicyInvalid", "ScrubberSettings",
    "find_purpose", "format_policy", "lint_paths", "load_policy", "parse", "scrubber_settings",
    "validate",
]

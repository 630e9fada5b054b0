"""policyengine: privacy policy as code.

Stages, each a public function, data flowing one way:
text -> ``parse`` -> AST -> ``validate`` -> diagnostics / ``load_policy`` ->
``compile_policy`` -> ``check`` -> findings -> report.
"""

import importlib

# Eager on purpose: the function shares its name with its module, and a lazy
# attribute would be replaced by the module as soon as anything imports it.
from .validate import validate

# The public API, imported on first use: `policyengine lint` under pre-commit
# starts in a fresh process every commit and should load only what it needs.
_EXPORTS = {
    "PolicyFile": "ast",
    "Binding": "binding", "BindingError": "binding", "load_binding": "binding",
    "CompiledPolicy": "compile", "compile_policy": "compile",
    "Diagnostic": "diagnostics", "PolicyError": "diagnostics", "PolicyInvalid": "diagnostics",
    "check": "evaluate", "check_source": "evaluate", "lower_to_python": "evaluate",
    "explain_record": "explain",
    "Finding": "findings", "FINDING_CODES": "findings:CODES",
    "format_policy": "fmt",
    "lint_paths": "lint",
    "ScrubberSettings": "loading", "find_purpose": "loading", "load_policy": "loading",
    "scrubber_settings": "loading",
    "ParseFailed": "parser", "parse": "parser",
    "RecordError": "records", "open_source": "records",
}

__all__ = sorted([*_EXPORTS, "validate"])


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'policyengine' has no attribute {name!r}")
    module, _, attr = _EXPORTS[name].partition(":")
    value = getattr(importlib.import_module(f".{module}", __name__), attr or name)
    globals()[name] = value
    return value


def __dir__():
    return __all__

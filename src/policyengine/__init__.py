"""policyengine: privacy policy as code.

Stages, each a public function, data flowing one way:
text -> ``parse`` -> AST -> ``validate`` -> diagnostics / ``load_policy`` ->
``compile_policy`` -> ``check`` -> findings -> report.
The language half is ``policyengine.language``, the check half ``policyengine.checking``
(not ``check``: a subpackage of that name would replace the function ``check`` here).
"""

# Eager, as before the split into subpackages (lint needs it anyway).
from .language.validate import validate

# The public API, imported on first use: `policyengine lint` under pre-commit
# starts in a fresh process every commit and should load only what it needs.
_EXPORTS = {
    "PolicyFile": "language.ast",
    "Binding": "checking.binding", "BindingError": "checking.binding", "load_binding": "checking.binding",
    "CompiledPolicy": "checking.compile", "compile_policy": "checking.compile",
    "Diagnostic": "language.diagnostics", "PolicyError": "language.diagnostics", "PolicyInvalid": "language.diagnostics",
    "check": "checking.run", "check_source": "checking.run", "lower_to_python": "checking.evaluate",
    "explain_record": "checking.explain",
    "Finding": "checking.findings", "FINDING_CODES": "checking.findings:CODES",
    "format_policy": "language.fmt", "format_text": "language.fmt",
    "lint_paths": "language.lint",
    "ScrubberSettings": "language.loading", "find_purpose": "language.loading", "load_policy": "language.loading",
    "scrubber_settings": "language.loading",
    "ParseFailed": "language.parser", "parse": "language.parser",
    "RecordError": "checking.records", "open_source": "checking.records",
}

__all__ = sorted([*_EXPORTS, "validate"])


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'policyengine' has no attribute {name!r}")
    import importlib  # here: `policyengine lint` imports none of these

    module, _, attr = _EXPORTS[name].partition(":")
    value = getattr(importlib.import_module(f".{module}", __name__), attr or name)
    globals()[name] = value
    return value


def __dir__():
    return __all__

"""Documents generated from a policy: the Art. 13 notice, the Art. 30 record, a TILT export.

One stage each, data flowing one way: AST -> ``model.build`` (what the documents say,
language-neutral) -> ``notice`` / ``ropa`` / ``tilt``. The wording lives in jinja2
templates, one set per language (``templates/sv``, ``nb``, ``en``); jinja2 and openpyxl
are optional extras (``pip install 'privacy-promises[documents]'``).
"""

LANGUAGES = ("sv", "nb", "en")

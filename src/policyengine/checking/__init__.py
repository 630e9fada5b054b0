"""The check half: the compiled IR, bindings and record sources, evaluation, findings, reports.

(Named ``checking`` rather than ``check``: ``policyengine.check`` is the public function.)
"""

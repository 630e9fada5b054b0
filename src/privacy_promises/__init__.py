"""What the distribution's two packages, policyengine and scrubber, share.

Kept empty: importing ``policyengine.anything`` runs policyengine's __init__ (the policy
language, tens of milliseconds) and ``scrubber.anything`` loads the scrubber and its C
extension, so a shared module in either would cost the other its start-up.
"""

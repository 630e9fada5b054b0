"""Every kind of change the diff reports, whether it is material by default, and why.

Material: it changes a promise made to the people whose data it is, so they
must be told (GDPR Arts. 12-14; the Article 29 Working Party transparency guidelines,
WP260 rev.01, "Changes to Article 13 and Article 14 information", expect notice of
such changes before they take effect).
Minor: the promises stay as they were or become stronger for the data subject.
A `.policyengine.yaml` can reclassify any kind (see docs/diff.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    material: bool
    why: str  # why this kind is material or minor, as printed and documented


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {k.name: k for k in kinds}


M, m = True, False

KINDS = _kinds(
    # ---- material ----------------------------------------------------------------
    Kind("purpose_added", M, "data is used for a purpose people were not told about (Art. 13(1)(c))"),
    Kind("category_added", M, "a new kind of personal data is processed (Art. 14(1)(d))"),
    Kind("purpose_category_added", M, "data already held is used for a further purpose (Art. 13(3))"),
    Kind("subject_added", M, "data about a new group of people is processed"),
    Kind("purpose_subject_added", M, "a purpose now covers people it did not cover"),
    Kind("special_category_added", M, "special categories of data need an Art. 9(2) condition "
                                      "and the people concerned must know"),
    Kind("national_identifier_added", M, "national identity numbers need a stated justification "
                                         "(Art. 87; Dataskyddslagen 3 kap. 10 §)"),
    Kind("category_protection_lowered", M, "data declared special or a national identifier no "
                                           "longer is: it loses protection"),
    Kind("basis_changed", M, "the lawful basis decides the people's rights (Art. 6(1), Art. 13(1)(c))"),
    Kind("special_condition_changed", M, "the Art. 9(2) condition that allows special data changed"),
    Kind("retention_maximum_lengthened", M, "data may be kept longer than people were told "
                                            "(Art. 13(2)(a))"),
    Kind("retention_minimum_changed", M, "the period during which data is kept even on request changed"),
    Kind("legal_hold_changed", M, "the period during which erasure is refused changed (Art. 17(3)(b))"),
    Kind("withdrawal_erasure_lengthened", M, "data is erased later after consent is withdrawn, "
                                             "or no erasure is promised"),
    Kind("recipient_added", M, "data goes to someone people were not told about (Art. 13(1)(e))"),
    Kind("purpose_recipient_added", M, "a purpose now shares data with a recipient it did not"),
    Kind("recipient_role_changed", M, "a processor acting for the controller and a recipient using "
                                      "data for itself carry different risks"),
    Kind("transfer_added", M, "data now goes outside the EU/EEA (Art. 13(1)(f))"),
    Kind("recipient_country_unstated", M, "the policy no longer says where a recipient processes data"),
    Kind("transfer_safeguard_weakened", M, "the transfer relies on a weaker safeguard (order: adequacy, "
                                           "BCRs, SCCs, Art. 49 derogation)"),
    Kind("request_deadline_lengthened", M, "requests are answered later than promised (Art. 12(3))"),
    Kind("request_extension_lengthened", M, "the deadline for requests may be extended further (Art. 12(3))"),
    Kind("controller_changed", M, "who is responsible, or how to reach them, changed (Art. 13(1)(a)-(b))"),
    Kind("financial_year_changed", M, "retention counted from the end of the financial year moves"),
    Kind("log_truncation_weakened", M, "logs keep more of each IP address"),
    Kind("log_retention_lengthened", M, "logs with IP addresses are kept longer"),
    Kind("logs_added", M, "a new kind of log with personal data is kept"),
    Kind("other_change", M, "the meaning changed in a way the diff does not classify: review it"),
    # ---- minor -------------------------------------------------------------------
    Kind("label_changed", m, "labels are wording; what is processed and why stays the same"),
    Kind("note_changed", m, "only the wording of a citation or note changed; the basis, condition, "
                            "hold or safeguard it belongs to is the same"),
    Kind("comments_changed", m, "comments are not part of the policy's meaning"),
    Kind("order_changed", m, "the order of declarations and statements carries no meaning"),
    Kind("purpose_removed", m, "less processing: nothing new is done with anyone's data"),
    Kind("category_removed", m, "less data is processed"),
    Kind("purpose_category_removed", m, "a purpose uses less data"),
    Kind("subject_removed", m, "fewer people's data is processed"),
    Kind("purpose_subject_removed", m, "a purpose covers fewer people"),
    Kind("recipient_removed", m, "data goes to fewer recipients"),
    Kind("purpose_recipient_removed", m, "a purpose shares data with fewer recipients"),
    Kind("retention_maximum_shortened", m, "data is kept for less time, or under an extra limit"),
    Kind("withdrawal_erasure_shortened", m, "data is erased sooner after consent is withdrawn"),
    Kind("transfer_removed", m, "data no longer leaves the EU/EEA"),
    Kind("recipient_country_changed", m, "the recipient moves within the EU/EEA"),
    Kind("transfer_safeguard_strengthened", m, "the transfer relies on a stronger safeguard, or one "
                                               "equally strong"),
    Kind("request_deadline_shortened", m, "requests are answered sooner, or a deadline is newly promised"),
    Kind("request_extension_shortened", m, "the deadline may be extended less"),
    Kind("log_truncation_strengthened", m, "logs keep less of each IP address"),
    Kind("log_retention_shortened", m, "logs are kept for less time"),
    Kind("logs_removed", m, "a log is no longer kept under this purpose"),
)

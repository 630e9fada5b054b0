"""Property tests: whatever a policy's labels and citations hold (markup, formula starts,
control characters, quotes, backslashes, far Unicode), the generated HTML has only the
template's own elements, Markdown has no unescaped '<', and no CSV cell starts a formula."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from hypothesis import given, settings, strategies as st

from policyengine.documents.notice import render_notice
from policyengine.documents.ropa import render_ropa
from policyengine.language.fmt import quote
from policyengine.language.parser import parse

TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "nav", "ol", "li", "a", "main",
                 "section", "h1", "h2", "h3", "p", "dl", "dt", "dd", "ul", "strong", "code", "footer",
                 "table", "tr", "th", "td"}
HOSTILE_PIECES = st.sampled_from(["<script>", "</p>", "<img src=x>", "&amp;", "&", "=", "+", "-", "@", "\t",
                                  "\r", "\x00", "\u2028", "*", "_", "|", "[x](y)", "`", '"', "\\", "{{ 1 }}",
                                  "{% raw %}", "'", "é", "\U0001f600"])
# Anything a STRING may hold (a policy string cannot span lines), hostile pieces up front.
# (No surrogates: a policy is read from UTF-8, which cannot hold them.)
TEXT = st.lists(st.one_of(HOSTILE_PIECES, st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=4)),
                min_size=1, max_size=6).map("".join)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def policy_text(controller: str, label: str, citation: str) -> str:
    return (f"controller {quote(controller)} {{\n  address {quote(label)}\n  contact {quote(citation)}\n"
            f"  authority IMY\n  automated decisions {quote(citation)}\n  security {quote(label)}\n}}\n"
            f"category c {quote(label)}\nsubject s {quote(label)}\n"
            f"processor p {quote(label)} {{\n  country US\n  transfer scc {quote(citation)}\n}}\n"
            f"purpose q {quote(label)} {{\n  subjects s\n  categories c\n  recipients p\n"
            f"  basis legitimate_interests {quote(citation)}\n  provision voluntary {quote(citation)}\n"
            f"  retain at most 30 days from collected\n  logs access {{\n    keep at most 14 days\n"
            f"    truncate ipv4 /24 ipv6 /48\n  }}\n}}\n")


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT, TEXT, st.sampled_from(["sv", "nb", "en"]))
def test_documents_contain_policy_strings_as_text_only(controller: str, label: str, citation: str,
                                                       lang: str) -> None:
    policy = parse(policy_text(controller, label, citation), "p.policy")

    for doc in (render_notice(policy, lang, "html"), render_ropa(policy, lang, "html")):
        parsed = _Tags()
        parsed.feed(doc)
        assert parsed.tags <= TEMPLATE_TAGS
        assert "<script" not in doc.lower().replace("&lt;script", "")

    md = render_notice(policy, lang, "md") + render_ropa(policy, lang, "md")
    assert not re.search(r"(?<!\\)<", md)
    assert not re.search("[\r\x0b\x0c\x85\u2028\u2029\x00]", md)  # a label stays on its line

    for row in list(csv.reader(io.StringIO(render_ropa(policy, lang, "csv"), newline="")))[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

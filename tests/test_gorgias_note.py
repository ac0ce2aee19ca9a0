"""A Gorgias internal note's HTML body: the text note's lines, with nothing in them able to become markup."""

from __future__ import annotations

from clvdesk.helpdesk.gorgias.note import note_html


def test_the_html_body_is_the_text_escaped_line_by_line():
    text = 'clvdesk suggestion: Refund: $20.00\n\nCustomer: <img src=x onerror=alert(1)>@x.com · tier "A&B"\nWhy:\n- because'
    assert note_html(text) == (
        "<p>clvdesk suggestion: Refund: $20.00</p>"
        "<p>Customer: &lt;img src=x onerror=alert(1)&gt;@x.com · tier &quot;A&amp;B&quot;<br>Why:<br>- because</p>"
    )


def test_the_ref_line_reads_the_same_in_both_bodies():
    assert "clvdesk-ref:ticket:1:message:2" in note_html("Rules v1 · clvdesk-ref:ticket:1:message:2")

"""The text of a helpdesk's HTML message, as the analysis reads it."""

from clvdesk.html_text import html_to_text


def test_blocks_end_lines_entities_are_decoded_and_blank_lines_fold():
    html = "<div>Hello&nbsp;there,</div><div><br></div><p>the <b>mug</b> &amp; the&#32;plate</p><ul><li>one</li><li>two</li></ul>"
    assert html_to_text(html) == "Hello there,\nthe mug & the plate\none\ntwo"


def test_scripts_styles_and_the_head_are_not_text():
    html = "<html><head><title>t</title><style>p{}</style></head><body><script>x()</script><p>kept</p></body></html>"
    assert html_to_text(html) == "kept"


def test_a_reply_stops_at_the_quoted_thread_but_a_new_ticket_keeps_a_quote():
    html = "<p>Mine</p><blockquote><p>yours</p></blockquote><p>after</p>"
    assert html_to_text(html, reply=True) == "Mine"
    assert html_to_text(html) == "Mine\nyours\nafter"
    assert html_to_text("<p>Mine</p><div>-----Original Message-----</div><p>old</p>", reply=True) == "Mine"


def test_plain_text_and_broken_markup_come_through():
    assert html_to_text("no markup at all") == "no markup at all"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("a < b and c > d") == "a < b and c > d"

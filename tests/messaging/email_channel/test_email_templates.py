"""The e-mail templates: every template in every language renders both parts, escapes the HTML only,
and refuses a missing variable instead of sending a hole."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

import ladeportal.messaging
from ladeportal.messaging.email_render import LANGUAGES, render_email

TEMPLATES = Path(ladeportal.messaging.__file__).parent / "templates" / "email"
URL = "https://lading.example.no"
NAMES = sorted({p.stem for p in TEMPLATES.glob("*/*.txt")})


def test_every_template_exists_in_every_language_with_both_parts() -> None:
    assert "test" in NAMES
    for name in NAMES:
        for language in LANGUAGES:
            assert (TEMPLATES / language / f"{name}.txt").is_file(), (name, language)
            assert (TEMPLATES / language / f"{name}.html").is_file(), (name, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_test_template_renders_in_each_language(language: str) -> None:
    email = render_email("test", language, {"organization_name": "Lading på Solbakken", "public_url": URL})
    assert email.language == language and "Lading på Solbakken" in email.subject
    assert "Lading på Solbakken" in email.text and "<" not in email.text
    assert f'<html lang="{language}">' in email.html and "Lading på Solbakken" in email.html
    assert URL in email.text and f'href="{URL}"' in email.html
    subjects = {render_email("test", other, {"public_url": URL}).subject for other in LANGUAGES}
    assert len(subjects) == len(LANGUAGES)  # really translated, not one text three times


def test_html_is_escaped_and_text_is_not() -> None:
    email = render_email(
        "test", "nb", {"name": "<script>alert(1)</script> & Co", "organization_name": "A&B <Lading>", "public_url": URL}
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html and "<script>" not in email.html
    assert "A&amp;B &lt;Lading&gt;" in email.html
    assert "<script>alert(1)</script> & Co" in email.text
    assert email.subject == "Test av e-post fra A&B <Lading>"


def test_a_subject_stays_one_line_whatever_a_name_holds() -> None:
    name = "Solbakken\r\nBcc: everyone@example.no"
    email = render_email("test", "nb", {"organization_name": name, "public_url": URL})
    assert "\n" not in email.subject and "\r" not in email.subject


def test_a_variable_the_template_needs_must_be_given() -> None:
    # Every layout links to the portal: queue_email always passes public_url, a caller of render_email must.
    with pytest.raises(UndefinedError):
        render_email("test", "nb", {})

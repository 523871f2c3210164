"""Rendering an e-mail from its templates: a subject, a plain-text part and an HTML part per language.

templates/email/<language>/<name>.txt holds `{% block subject %}` and `{% block body %}` (the plain
text, never escaped); <name>.html holds the HTML body and is autoescaped, because names of people and
organisations are typed by people and may contain < and &. A missing variable is an error at queue
time, in the caller's request, rather than an e-mail with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from ladeportal.errors import ValidationFailed

LANGUAGES = ("nb", "en", "sv")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True)
class RenderedEmail:
    template: str
    language: str
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("ladeportal.messaging", "templates/email"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_email(template: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """`language` is one of LANGUAGES; every template exists in each of them (a test holds us to it)."""
    if not _NAME.match(template):
        raise ValidationFailed(
            f"{template!r} is not an e-mail template name.",
            field="template",
            code="email.template_invalid",
            params={"template": template},
        )
    if language not in LANGUAGES:
        raise ValidationFailed(
            f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.",
            field="language",
            code="member.language_unknown",
            params={"language": language, "languages": ", ".join(LANGUAGES)},
        )
    env = _environment()
    try:
        text_template = env.get_template(f"{language}/{template}.txt")
        html_template = env.get_template(f"{language}/{template}.html")
    except TemplateNotFound:
        raise ValidationFailed(
            f"There is no e-mail template {template!r}.",
            field="template",
            code="email.template_missing",
            params={"template": template},
        ) from None
    values = {**context, "language": language}
    subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
    return RenderedEmail(
        template=template,
        language=language,
        # A header is one line: a name with a line break in it must not start a new header.
        subject=" ".join(subject.split()),
        text=text_template.render(values).strip() + "\n",
        html=html_template.render(values),
    )

"""Reading pages the way the Content-Security-Policy and a form submitter do: what in a page would
the CSP block (inline script and style, event-handler attributes, outside resources), and what a
page's forms would send."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

REQUIRED_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
FORBIDDEN_CSP = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:")


def csp_problems(response) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        return ["no Content-Security-Policy header"]
    problems = [f"CSP lacks {d!r}" for d in REQUIRED_CSP if d not in policy]
    for directive in policy.split(";"):
        sources = directive.split()[1:]
        problems += [
            f"CSP allows {s} in {directive.strip()!r}" for s in sources if s in FORBIDDEN_CSP
        ]
    return problems


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: dict | None = None
        self._script_body = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:120]}>"
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event-handler attribute {name}= in {where}")
            if name == "style":
                self.problems.append(f"style= attribute in {where}")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"htmx inline handler {name}= in {where}")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {where}")
        for name in ("src", "srcset", "poster", "data"):
            value = (attributes.get(name) or "").strip()
            if value.startswith(("http://", "https://", "//")):
                self.problems.append(f"resource loaded from outside: {where}")
        if tag == "link" and (attributes.get("href") or "").startswith(("http", "//")):
            rel = attributes.get("rel") or ""
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload", "icon")):
                self.problems.append(f"resource loaded from outside: {where}")
        if tag == "script":
            self._script = attributes
            self._script_body = ""
        if tag == "style":
            self._in_style = True
            self.problems.append("inline <style> element")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            attributes, body = self._script, self._script_body.strip()
            is_data = attributes.get("type") in ("application/json", "application/ld+json")
            if not attributes.get("src") and not is_data:
                self.problems.append(f"inline <script>: {body[:80]!r}")
            elif attributes.get("src") and body:
                self.problems.append(f"<script src> with an inline body: {body[:80]!r}")
            self._script = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._script is not None:
            self._script_body += data


def inline_problems(html: str) -> list[str]:
    """What the CSP would block in a page (or an htmx fragment)."""
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def data(self) -> dict[str, list[str]]:
        """The form's own values, every free-text field edited (so a submission that is
        accepted changes what is stored)."""
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data


class _FormFinder(HTMLParser):
    TEXT_TYPES = {"text", "email", "url", "search", "tel", None, ""}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.htmx_actions: list[tuple[str, str]] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._textarea_body = ""
        self._option_value: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for verb in ("post", "put", "patch", "delete"):
            for name in (f"hx-{verb}", f"data-hx-{verb}"):
                if a.get(name):
                    self.htmx_actions.append((verb, a[name]))
        if tag == "form":
            self._form = Form(action=a.get("action") or "", method=(a.get("method") or "get"))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ""
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((name, value or "on"))
            elif kind in ("submit", "button", "image", "reset", "file"):
                return
            elif kind in self.TEXT_TYPES and name not in ("csrfmiddlewaretoken", "next"):
                self._form.fields.append((name, f"{value} trust-edit".strip()))
            else:
                self._form.fields.append((name, value))
        elif tag == "select" and name:
            self._select, self._select_value, self._select_first = name, None, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None and value:
                self._select_first = value
            if "selected" in a:
                self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._textarea_body = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            value = self._select_value if self._select_value is not None else self._select_first
            if value is not None:
                self._form.fields.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            self._form.fields.append((self._textarea, f"{self._textarea_body} trust-edit"))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea_body += data


def post_forms(html: str) -> list[Form]:
    finder = _FormFinder()
    finder.feed(html)
    finder.close()
    return [form for form in finder.forms if form.method.lower() == "post"]


def htmx_actions(html: str) -> list[tuple[str, str]]:
    """(method, url) of every element that changes something through htmx (`hx-post=...`)."""
    finder = _FormFinder()
    finder.feed(html)
    finder.close()
    return finder.htmx_actions

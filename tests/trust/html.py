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
class Control:
    """One named control of a form: its kind, the value a submission sends, and (for a select or
    a radio group) the other values it could send."""

    name: str
    kind: str
    value: str | list[str]
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)
    # Pickers (partners/pickers.py): field name -> the URL of its suggestions, whose options are
    # the values its radio group could send (pagewalk.add_picker_options fetches them).
    pickers: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> list[tuple[str, str]]:
        pairs = []
        for control in self.controls:
            values = control.value if isinstance(control.value, list) else [control.value]
            pairs += [(control.name, value) for value in values]
        return pairs

    def data(self) -> dict[str, list[str]]:
        """What a person who edits every field would send: the form's own values, free text
        edited, empty required-looking inputs filled with a value of their type (a date, a
        number, an address), so a submission that is accepted changes what is stored."""
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data

    def variants(self, limit: int = 12):
        """`data()`, then the same with one control at a time set to each of its other values
        (a select's other options, a radio group's other buttons, a number plus one, a date a day
        earlier): a status form whose first choice is refused, an attendance form whose rows
        already hold the values shown, or a policy form of figures changes something with
        another value."""
        yield self.data()
        produced = 1
        for index, control in enumerate(self.controls):
            for option in control.options:
                if option == control.value:
                    continue
                if produced >= limit:
                    return
                changed = [*self.controls]
                changed[index] = Control(control.name, control.kind, option)
                yield Form(self.action, self.method, changed).data()
                produced += 1


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def _now() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class _FormFinder(HTMLParser):
    TEXT_TYPES = {"text", "search", None, ""}
    KEEP = {"csrfmiddlewaretoken", "next"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.htmx_actions: list[tuple[str, str]] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._textarea: str | None = None
        self._textarea_body = ""
        self._radios: dict[str, Control] = {}

    @staticmethod
    def edited(kind: str, name: str, value: str, attributes: dict) -> str:
        """The value a person editing the field would leave in it."""
        if name in _FormFinder.KEEP or kind == "hidden":
            return value
        if kind in _FormFinder.TEXT_TYPES:
            if name.endswith("slug"):
                return value  # web addresses: edited text would not be a valid slug
            edited = f"{value} trust-edit".strip()
            limit = int(attributes.get("maxlength") or 0)
            return edited[:limit] if limit and len(edited) > limit else edited
        if kind == "email":
            return "trust-edit@example.org"
        if kind == "url":
            return "https://example.org/trust-edit"
        if kind == "tel":
            return value or "+1 555 0100"
        if kind == "number":
            return value or str(max(1, int(float(attributes.get("min") or 1))))
        if kind == "date":
            return value or _today()
        if kind == "datetime-local":
            return value or _now()
        return value

    @staticmethod
    def others(kind: str, value: str) -> list[str]:
        """Another value a person could give a number or date field (a form whose only change is
        a figure or a date is live with it)."""
        import datetime as dt

        try:
            if kind == "number":
                number = float(value)
                return [str(int(number + 1) if number.is_integer() else number + 1)]
            if kind == "date":
                return [(dt.date.fromisoformat(value) - dt.timedelta(days=1)).isoformat()]
        except ValueError:
            pass
        return []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for verb in ("post", "put", "patch", "delete"):
            for name in (f"hx-{verb}", f"data-hx-{verb}"):
                if a.get(name):
                    self.htmx_actions.append((verb, a[name]))
        if tag == "form":
            self._form = Form(action=a.get("action") or "", method=(a.get("method") or "get"))
            self._radios = {}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ""
            if kind == "checkbox":
                if "checked" in a:
                    self._form.controls.append(Control(name, kind, value or "on"))
            elif kind == "radio":
                # A radio button sends "on" only when it has no value attribute at all.
                value = "on" if a.get("value") is None else value
                group = self._radios.get(name)
                if group is None:
                    group = self._radios[name] = Control(name, kind, value)
                    self._form.controls.append(group)
                elif "checked" in a:
                    group.value = value
                group.options.append(value)
            elif kind in ("submit", "button", "image", "reset", "file"):
                return
            elif "data-picker-input" in a:
                # A picker's search box: a person who picks leaves it as it is (a search text
                # would make the submission a search); its choices are fetched separately.
                self._form.controls.append(Control(name, "picker-search", value))
                if a.get("data-picker-field") and a.get("hx-get"):
                    self._form.pickers[a["data-picker-field"]] = a["hx-get"]
            else:
                edited = self.edited(kind, name, value, a)
                self._form.controls.append(Control(name, kind, edited, self.others(kind, edited)))
        elif tag == "select" and name and "disabled" not in a:
            self._select = {"name": name, "multiple": "multiple" in a, "selected": [], "all": []}
        elif tag == "option" and self._select is not None and "disabled" not in a:
            value = a.get("value", "")
            if value:
                self._select["all"].append(value)
            if "selected" in a:
                self._select["selected"].append(value)
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea, self._textarea_body = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            select, self._select = self._select, None
            if select["multiple"]:
                self._form.controls.append(Control(select["name"], "select", select["selected"]))
                return
            chosen = [value for value in select["selected"] if value]
            value = chosen[0] if chosen else (select["all"][0] if select["all"] else None)
            if value is not None:
                self._form.controls.append(
                    Control(select["name"], "select", value, options=list(select["all"]))
                )
        elif tag == "textarea" and self._textarea and self._form is not None:
            body = f"{self._textarea_body.strip()} trust-edit".strip()
            self._form.controls.append(Control(self._textarea, "textarea", body))
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

"""Post a page's form the way a browser does, for the whole-journey tests.

``page_form(response, ...)`` reads the HTML form the page rendered and collects what a
browser would send: every enabled, named control with its current value (a ticked radio or
checkbox, the selected option, or a select's first option when none is selected). The test
then changes only what the person changes on the page (``form[name] = value``), which must
be a control the form has (and, for a select or radio group, one of its choices), and posts
it with the button that person presses. So a field the template forgets, renames or never
fills breaks the journey, as it would break the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.test import Client
from lxml import html as lxml_html

_NOT_SENT = {"submit", "button", "image", "reset", "file"}


@dataclass
class PageForm:
    url: str  # where the page came from
    action: str
    pairs: list[tuple[str, str]]
    choices: dict[str, list[str]] = field(default_factory=dict)  # select / radio group -> values offered
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of named submit buttons
    controls: set[str] = field(default_factory=set)

    def __getitem__(self, name: str) -> str:
        values = self.getlist(name)
        if not values:
            raise KeyError(name)
        return values[0]

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def __setitem__(self, name: str, value) -> None:
        self.setlist(name, [value])

    def setlist(self, name: str, values) -> None:
        """Type into / choose ``name``: it must be on the page, and a choice must be one offered."""
        if name not in self.controls:
            raise KeyError(f"the page's form has no control named {name!r}")
        values = ["" if v is None else str(v) for v in values]
        offered = self.choices.get(name)
        if offered is not None:
            for value in values:
                if value not in offered:
                    raise ValueError(f"{name!r}: {value!r} is not offered ({offered})")
        position = next((i for i, (key, _v) in enumerate(self.pairs) if key == name), len(self.pairs))
        self.pairs = [pair for pair in self.pairs if pair[0] != name]
        self.pairs[position:position] = [(name, v) for v in values]

    def data(self, button: tuple[str, str] | None = None) -> dict[str, list[str]]:
        if button is not None and button not in self.buttons:
            raise ValueError(f"the page has no button {button!r} (it has {self.buttons})")
        data: dict[str, list[str]] = {}
        for key, value in [*self.pairs, *([button] if button else [])]:
            data.setdefault(key, []).append(value)
        return data

    def submit(self, client: Client, button: tuple[str, str] | None = None, **kwargs):
        return client.post(self.action, self.data(button), **kwargs)


def page_form(
    response, *, form_id: str | None = None, action: str | None = None, has: str | None = None, index: int = 0
) -> PageForm:
    """A POST form of a rendered page: by its ``id``, its ``action`` attribute or a control it ``has`` (by name)."""
    url = response.request["PATH_INFO"]
    if response.request.get("QUERY_STRING"):
        url += "?" + response.request["QUERY_STRING"]
    document = lxml_html.fromstring(response.content.decode())
    forms = [f for f in document.forms if (f.get("method") or "get").lower() == "post"]
    if form_id is not None:
        forms = [f for f in forms if f.get("id") == form_id]
    if action is not None:
        forms = [f for f in forms if f.get("action") == action]
    if has is not None:
        forms = [f for f in forms if f.xpath(".//*[@name=$name]", name=has)]
    if len(forms) <= index:
        raise AssertionError(f"no such form on {url} (id={form_id!r}, action={action!r}, has={has!r}, index={index})")
    form = forms[index]
    result = PageForm(url=url, action=urljoin(url, form.get("action") or url), pairs=[])
    for element in form.inputs:
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        result.controls.add(name)
        tag = element.tag
        if tag == "select":
            options = element.xpath(".//option")
            values = [o.get("value", o.text_content()) for o in options]
            result.choices[name] = values
            chosen = [o.get("value", o.text_content()) for o in options if o.get("selected") is not None]
            if not chosen and values and element.get("multiple") is None:
                chosen = values[:1]
            result.pairs.extend((name, v) for v in chosen)
        elif tag == "textarea":
            result.pairs.append((name, element.text or ""))
        else:
            kind = (element.get("type") or "text").lower()
            if kind == "submit":
                result.buttons.append((name, element.get("value", "")))
                continue
            if kind in _NOT_SENT:
                continue
            if kind in ("radio", "checkbox"):
                result.choices.setdefault(name, []).append(element.get("value", "on"))
                if element.get("checked") is not None:
                    result.pairs.append((name, element.get("value", "on")))
                continue
            result.pairs.append((name, element.get("value", "")))
    for button in form.xpath(".//button[@name]"):
        if (button.get("type") or "submit").lower() == "submit":
            result.buttons.append((button.get("name"), button.get("value", "")))
    return result


def page_errors(response) -> str:
    """What the page says went wrong (its alerts and the messages next to fields), for assertion messages."""
    document = lxml_html.fromstring(response.content.decode() or "<p></p>")
    found = document.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' alert-danger ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' invalid-feedback ')]"
    )
    text = " | ".join(" ".join(node.text_content().split()) for node in found)
    return f"{response.status_code}: {text or '(no error shown)'}"

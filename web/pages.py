"""HTML pages for people who open an address in a browser instead of a fediverse app.

The environment is built once per application, not at import time, and autoescapes everything: actor names and
summaries come from members and must never become markup.
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from actors.actor import Actor
from fedi.urls import Urls
from web.catalog import translator


class Pages:
    def __init__(self, urls: Urls, language: str) -> None:
        self._urls = urls
        self._language = language
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("web", "templates"),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined,
        )

    def _render(self, template: str, **values: object) -> str:
        context: Mapping[str, object] = {
            "t": translator(self._language),
            "lang": self._language,
            "urls": self._urls,
            **values,
        }
        return self._env.get_template(template).render(context)

    def home(self, actors: list[Actor]) -> str:
        return self._render("home.html", actors=actors, domain=self._urls.domain)

    def actor(self, actor: Actor) -> str:
        handle = f"@{actor.name}@{self._urls.domain}"
        return self._render("actor.html", actor=actor, handle=handle, actor_id=self._urls.actor(actor.name))

    def error(self, status: int, reason: str) -> str:
        return self._render("error.html", status=status, reason=reason)

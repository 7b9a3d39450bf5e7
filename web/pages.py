"""HTML pages for people who open an address in a browser instead of a fediverse app.

The environment is built once per application, not at import time, and autoescapes everything: actor names and
summaries come from members and must never become markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import jinja2
import markupsafe
from starlette.requests import Request

from fedi.normalise import id_of
from fedi.urls import Urls
from figures.html import violations
from figures.note import FigureRejected, figure_of_note, period_text
from figures.numbers import Lang
from web import locale, presence
from web.catalog import has_key, translator


class Pages:
    def __init__(self, urls: Urls, language: str) -> None:
        self._urls = urls
        self._language = language
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("web", "templates"),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined,
        )

    @property
    def language(self) -> str:
        """The language of the page being made: the request's (see :mod:`web.locale`), else the instance's."""
        return locale.current(self._language)

    def render(self, template: str, **values: object) -> str:
        """Any template with what every page needs: the translator, the language and our addresses."""
        lang = self.language
        context: Mapping[str, object] = {
            "t": translator(lang),
            "lang": lang,
            "other_lang": "en" if lang == "fr" else "fr",
            "signed_in": presence.signed_in(),
            "urls": self._urls,
            **values,
        }
        return self._env.get_template(template).render(context)

    _render = render

    async def note_page(self, request: Request, document: dict[str, object]) -> str:
        return self.note(document)

    async def teaser_page(self, request: Request, document: dict[str, object]) -> str:
        return self.teaser(document)

    def note(self, document: Mapping[str, object]) -> str:
        """A published note or figure. Its content is markup this instance generated and sanitised itself."""
        content_map = document.get("contentMap")
        content = content_map.get(self.language) if isinstance(content_map, dict) else None
        content = content or document.get("content") or ""
        figure = document.get("figure") if isinstance(document.get("figure"), dict) else None
        text = str(content)
        # Only markup that passes the allow-list Mastodon applies is shown as markup; anything else as text.
        shown = markupsafe.Markup(text) if not violations(text) else markupsafe.escape(text)  # noqa: S704
        return self._render(
            "note.html",
            content=shown,
            figure=figure,
            note_id=document.get("id"),
            published=document.get("published"),
            updated=document.get("updated"),
        )

    def teaser(self, document: Mapping[str, object]) -> str:
        """What a members-only figure shows to someone who may not read it: what it measures, where, when and from
        which source — never its value — and the way in, the group's page with how to follow it."""
        try:
            figure = figure_of_note(document)
        except FigureRejected:
            figure = None
        if figure is None:
            return self.error(403, translator(self.language)("members_only"))
        lang: Lang = "en" if self.language == "en" else "fr"
        group = next((ref for key in ("audience", "attributedTo") if (ref := id_of(document.get(key)))), None)
        name = self._urls.local_name(group) if group else None
        return self._render(
            "teaser.html",
            measures=figure.measures,
            place=figure.place.name if figure.place else None,
            period=period_text(figure.period, lang) if figure.period else None,
            source=figure.source.title or urlsplit(figure.source.url).hostname or figure.source.url,
            group_name=name,
            group_page=self._urls.actor(name) if name else None,
            handle=f"@{name}@{self._urls.domain}" if name else "",
        )

    def charter(self, title: str, content: str, version: str, lang: str) -> str:
        """The charter in ``lang``, whatever the instance's language. ``content`` is sanitised HTML."""
        other = "en" if lang == "fr" else "fr"
        return self._render(
            "charter.html",
            t=translator(lang),
            lang=lang,
            title=title,
            content=markupsafe.Markup(content),  # noqa: S704
            version=version,
            other=other,
            other_name=translator(other)("language_name"),
        )

    def tag(self, tag: str, figures: Sequence[Mapping[str, object]]) -> str:
        return self._render("tag.html", tag=tag, figures=figures)

    def account(self, template: str, **values: object) -> str:
        """An account page (sign-up, sign-in, a password, a notice) with the values its route prepared."""
        return self._render(template, **values)

    def error(self, status: int, reason: str | None = None) -> str:
        """An error page in one language: ``reason`` is already translated; without one, the status says why."""
        t = translator(self.language)
        title = t(f"status_{status}") if has_key(f"status_{status}") else f"{t('error')} {status}"
        if reason is None:
            reason = t(f"why_{status}") if has_key(f"why_{status}") else ""
        return self._render("error.html", status=status, title=title, reason=reason)

"""What the form "tell me when a place frees up" (templates/alert_form.html) needs from a route:
whether e-mail alerts are offered, and the browser's CSRF token (whose cookie the route sets on
its response with `remember_form`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request, Response

from ..config import Settings
from . import csrf

R = TypeVar("R", bound=Response)


@dataclass(frozen=True)
class MailForm:
    enabled: bool  # False: the page says e-mail alerts are not offered here
    csrf: str


def mail_form(request: Request) -> MailForm:
    """The form's context for this request (pass it to the template as `mail`)."""
    settings: Settings = request.app.state.settings
    return MailForm(settings.mail_enabled, csrf.csrf_token(request))


def remember_form(request: Request, response: R, form: MailForm) -> R:
    """Set the CSRF cookie of the form on the page's response (when the form is offered)."""
    if form.enabled:
        csrf.remember(request, response, form.csrf)
    return response

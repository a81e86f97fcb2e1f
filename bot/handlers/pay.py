"""The pay pages: GET /pay/{token} and what follows it.

GET shows what the link asks for now: the card button and, where an IBAN is set, the bank
transfer details with the EPC QR code beside it; then the way to answer ("Preferisce scriverci?"):
the chat links the policy enables (bot/answers.py) and the company's phone. It never opens a
Checkout Session nor issues a Telegram token: chat apps fetch links for their previews, and a
preview must not start a payment or mint a link. The debtor's press of the Telegram button
(POST /pay/{token}/telegram) issues their signed deep link and redirects to it; their press of
the card button (POST /pay/{token}/checkout) opens a fresh session and redirects to Stripe.
Without STRIPE_API_KEY, on a local instance (no PUBLIC_BASE_URL: the demo, `python -m bot run`),
the same button completes a sandbox payment and the page says so;
deployed without Stripe, the page offers the bank transfer only. Success and cancel are our own
pages; a payment is only ever recorded from Stripe's signed webhook (or the sandbox event),
never from a page visit.

Like the webhooks, every page checks the request's size first (bot/webhooks.py: 413), then the
token (signed: a forged or unknown one is a 404), then the query's shape (400).
"""

from __future__ import annotations

import logging
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.answers import TELEGRAM, WHATSAPP, available_kinds, chat_links, whatsapp_chat_url
from bot.config import Settings
from bot.escalation.claim import Claim
from bot.escalation.showing import claim_for_due, extra_cents
from bot.models import ContactPoint, Debtor, PayLink
from bot.payments.bank import bank_transfer, epc_qr_data_uri
from bot.payments.checkout import (
    complete_sandbox_checkout,
    open_checkout,
    sandbox_checkout_offered,
)
from bot.payments.links import Due, due_now, resolve_token
from bot.providers.stripe.client import StripeGateway, StripeUnavailable
from bot.runtime import Runtime
from bot.texts import language_or_default, render
from bot.web import WebPart
from bot.webhooks import describe, read_body, refuse

log = logging.getLogger(__name__)

PROVIDER = "pay"
# Tokens travel in the path: keep them out of caches, search engines and Referer headers.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


class PageQuery(BaseModel):
    """What a pay page's query may say: Stripe's {CHECKOUT_SESSION_ID}, our sandbox flag."""

    model_config = ConfigDict(extra="ignore")
    session_id: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_]{0,255}$")] = ""
    sandbox: Annotated[StrictStr, Field(pattern=r"^[01]?$")] = ""


class PayPages:
    def __init__(self, runtime: Runtime, gateway: StripeGateway | None) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings
        self.gateway = gateway
        self.sandbox = gateway is None and sandbox_checkout_offered(runtime.settings)

    def _html(self, name: str, language: str, status: int = 200, **context: object) -> Response:
        body = render(
            name,
            language,
            company=self.settings.company_name,
            phone=self.settings.company_phone,
            **context,
        )
        return HTMLResponse(body, status_code=status, headers=PRIVATE_HEADERS)

    def _not_found(self) -> Response:
        return self._html("pay/not_found.html", self.settings.default_language, status=404)

    def _language(self, debtor: Debtor) -> str:
        return language_or_default(debtor.language, self.settings.default_language)

    async def _link(self, request: Request) -> PayLink | None:
        """The pay link the request is for, after the size check (413); None when the token is
        forged, altered or unknown (the token is what makes a pay page authentic)."""
        await read_body(request, PROVIDER)
        return await resolve_token(self.settings, request.path_params["token"])

    def _query(self, request: Request) -> PageQuery:
        """The query's shape: 400 for one the pages never produce."""
        params = request.query_params
        given = {key: params[key] for key in ("session_id", "sandbox") if key in params}
        try:
            return PageQuery.model_validate(given)
        except ValidationError as exc:
            raise refuse(400, describe(exc)) from None

    def _page_url(self, link: PayLink) -> str:
        return f"/pay/{link.token}"

    def _chat_links(self, link: PayLink) -> list[dict[str, str]]:
        """The page's chat links: WhatsApp as a plain link, Telegram as a button that posts (the
        personal deep link is issued only when the debtor asks for it)."""
        links = []
        for kind in available_kinds(self.settings, self.runtime.policy):
            if kind == WHATSAPP:
                url = whatsapp_chat_url(self.settings.twilio_whatsapp_from)
                links.append({"label": "WhatsApp", "url": url, "action": ""})
            else:
                action = f"{self._page_url(link)}/telegram"
                links.append({"label": "Telegram", "url": "", "action": action})
        return links

    async def page(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._not_found()
        debtor: Debtor = link.debtor
        due = await due_now(link, self.runtime.today())
        claim = await self._claim(debtor.id, due)
        collect = claim is not None and self.runtime.policy.interest.collect_on_pay_link
        transfer = None
        if due.payable:
            transfer = bank_transfer(
                self.settings, debtor.id, due.invoice_numbers, due.amount_cents, due.currency
            )
        return self._html(
            "pay/page.html",
            self._language(debtor),
            debtor_name=debtor.name,
            due=due,
            transfer=transfer,
            qr=epc_qr_data_uri(transfer) if transfer and transfer.has_qr else "",
            sandbox=self.sandbox,
            online=self.gateway is not None or self.sandbox,
            checkout_action=f"{self._page_url(link)}/checkout",
            chat_links=self._chat_links(link),
            claim=claim,
            collect_claim=collect,
            card_extra_cents=extra_cents(claim) if collect else 0,
        )

    async def _claim(self, debtor_id: int, due: Due) -> Claim | None:
        """Interest and the €40 on what the link asks for (bot/escalation/showing.py)."""
        return await claim_for_due(self.runtime.policy, debtor_id, due, self.runtime.today())

    async def _collected(self, debtor_id: int, due: Due) -> Claim | None:
        """The claim the card checkout collects as well, when the policy says so."""
        if not self.runtime.policy.interest.collect_on_pay_link:
            return None
        return await self._claim(debtor_id, due)

    async def telegram(self, request: Request) -> Response:
        """The Telegram button: the debtor's signed deep link (or the bot, when their chat is
        linked already), then Telegram. Without a Telegram link to offer, back to the page."""
        link = await self._link(request)
        if link is None:
            return self._not_found()
        debtor: Debtor = link.debtor
        points = await ContactPoint.filter(debtor_id=debtor.id)
        offered = await chat_links(
            self.settings, self.runtime.policy, debtor, self.runtime.now(), points=points
        )
        url = next((chat.url for chat in offered if chat.kind == TELEGRAM), "")
        return RedirectResponse(url or self._page_url(link), 303, headers=PRIVATE_HEADERS)

    async def checkout(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._not_found()
        due = await due_now(link, self.runtime.today())
        if not due.payable or (self.gateway is None and not self.sandbox):
            return RedirectResponse(self._page_url(link), 303, headers=PRIVATE_HEADERS)
        claim = await self._collected(link.debtor.id, due)
        if self.gateway is None:
            await complete_sandbox_checkout(self.settings, self.runtime.now(), link, due, claim)
            return RedirectResponse(
                f"{self._page_url(link)}/success?sandbox=1", 303, headers=PRIVATE_HEADERS
            )
        try:
            sepa = self.runtime.policy.payments.sepa_debit
            session = await open_checkout(
                self.settings, self.gateway, link, due, claim, sepa_debit=sepa
            )
        except StripeUnavailable as exc:
            log.warning("checkout for pay link %s failed: %s", link.id, exc)
            return self._html(
                "pay/unavailable.html",
                self._language(link.debtor),
                status=503,
                page_url=self._page_url(link),
            )
        return RedirectResponse(session.url, 303, headers=PRIVATE_HEADERS)

    async def success(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._not_found()
        query = self._query(request)
        return self._html(
            "pay/success.html",
            self._language(link.debtor),
            page_url=self._page_url(link),
            sandbox=self.sandbox and query.sandbox == "1",
            state=await self._session_state(link, query.session_id),
        )

    async def _session_state(self, link: PayLink, session_id: str) -> str:
        """How Stripe sees this link's latest session: "paid", "processing" or "" (unknown).

        Only the link's own session is looked up, so the page cannot be used to probe others.
        The books are never changed here: only the signed webhook records a payment.
        """
        if self.gateway is None or not session_id or session_id != link.checkout_session_id:
            return ""
        try:
            session = await self.gateway.retrieve_checkout_session(session_id)
        except StripeUnavailable:
            return ""
        if session.payment_status in ("paid", "no_payment_required"):
            return "paid"
        return "processing" if session.status == "complete" else ""

    async def cancel(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._not_found()
        return self._html(
            "pay/cancel.html", self._language(link.debtor), page_url=self._page_url(link)
        )


def web_part(runtime: Runtime) -> WebPart:
    settings = runtime.settings
    gateway = StripeGateway.from_settings(settings) if settings.stripe_enabled else None
    pages = PayPages(runtime, gateway)
    routes = [
        Route("/pay/{token}", pages.page, methods=["GET"]),
        Route("/pay/{token}/checkout", pages.checkout, methods=["POST"]),
        Route("/pay/{token}/telegram", pages.telegram, methods=["POST"]),
        Route("/pay/{token}/success", pages.success, methods=["GET"]),
        Route("/pay/{token}/cancel", pages.cancel, methods=["GET"]),
    ]
    return WebPart(routes=routes, on_shutdown=[gateway.close] if gateway else [])

"""A PIN check-in driven through a client generated from api/openapi-3.0.json
(openapi-python-client): the bench taps a virtual card, the kiosk role answers the prompts
naming its session (If-Match), reception reads the result and acknowledges it. mypy --strict
checks this file against the generated models before it runs.

    KIOSK_BASE=http://127.0.0.1:PORT KIOSK_TOKENS=state/tokens.json python checkin.py
"""

import json
import os
import sys
import time

from myna_client import AuthenticatedClient
from myna_client.api.bench import bench_remove, bench_tap
from myna_client.api.kiosk_screen import post_consent, post_method, post_pin
from myna_client.api.results import ack_result, get_result, list_results
from myna_client.api.session import get_session
from myna_client.models import (
    All,
    BenchCard,
    BenchCardProfile,
    Code,
    Consent,
    Method,
    MethodRequest,
    Outcome,
    Pin,
    PinRequest,
    Problem,
    ResultsPage,
    SessionResult,
    SessionView,
)


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"check-in (Python client): {what}")


def main() -> None:
    base = os.environ["KIOSK_BASE"]
    with open(os.environ["KIOSK_TOKENS"], encoding="utf-8") as f:
        tokens: dict[str, str] = json.load(f)

    def client(role: str) -> AuthenticatedClient:
        return AuthenticatedClient(base_url=base, token=tokens[role], timeout=None)

    kiosk, reception, bench = client("kiosk"), client("reception"), client("bench")

    def session() -> SessionView:
        view = get_session.sync(client=kiosk)
        check(isinstance(view, SessionView), f"GET /v1/session: {view}")
        assert isinstance(view, SessionView)
        return view

    def wait_for(kind: str) -> SessionView:
        until = time.monotonic() + 20
        while True:
            view = session()
            if view.prompt.kind.value == kind:
                return view
            check(time.monotonic() < until, f"no {kind} prompt; last {view.prompt}")
            time.sleep(0.1)

    tapped = bench_tap.sync_detailed(client=bench, body=BenchCard(profile=BenchCardProfile.VALID))
    check(tapped.status_code == 200, f"tap: {tapped.status_code}")
    chooser = wait_for("choose_method")
    sid = chooser.id
    check(isinstance(sid, str), "a session id")
    assert isinstance(sid, str)
    mine = f'"{sid}"'

    # A command for another session changes nothing: 409 with a typed Problem naming its request.
    stale = post_method.sync(client=kiosk, body=MethodRequest(method=Method.PIN), if_match='"s-0000000000000000"')
    check(isinstance(stale, Problem) and stale.code == Code.SESSION_MISMATCH, f"stale command: {stale}")
    assert isinstance(stale, Problem)
    check(stale.instance == "/v1/session/method", f"instance: {stale.instance}")

    chosen = post_method.sync(client=kiosk, body=MethodRequest(method=Method.PIN), if_match=mine)
    check(isinstance(chosen, SessionView) and chosen.prompt.kind.value == "enter_pin", f"method: {chosen}")
    pinned = post_pin.sync(client=kiosk, body=PinRequest(pin="1234"), if_match=mine)
    check(isinstance(pinned, SessionView), f"pin: {pinned}")
    consent = wait_for("consent")
    check(isinstance(consent.prompt, Consent) and consent.prompt.allow_all, "consent for all offered")
    agreed = post_consent.sync(client=kiosk, body=All(all_=True), if_match=mine)
    check(isinstance(agreed, SessionView), f"consent: {agreed}")
    wait_for("take_card")
    bench_remove.sync_detailed(client=bench)

    # Reception: the result by its id, then the acknowledgement.
    page = list_results.sync(client=reception, after=0, limit=1000)
    check(isinstance(page, ResultsPage), f"results: {page}")
    assert isinstance(page, ResultsPage)
    check(any(r.id == sid for r in page.results), "the result is listed")
    result = get_result.sync(id=sid, client=reception)
    check(isinstance(result, SessionResult), f"result: {result}")
    assert isinstance(result, SessionResult)
    check(result.outcome == Outcome.VERIFIED, f"outcome {result.outcome}")
    check(isinstance(result.auth, Pin) and len(result.auth.signature) > 0, "signed at the PIN check")
    check(result.card is not None and result.card.certificate is not None, "the certificate")
    acked = ack_result.sync(id=sid, client=reception)
    check(acked is not None and not isinstance(acked, Problem) and acked.acknowledged == sid, f"ack: {acked}")
    print(f"check-in (Python client): {sid} verified by PIN, seq {result.seq}, acknowledged")


if __name__ == "__main__":
    main()

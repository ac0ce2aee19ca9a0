"""The mount of each helpdesk's sidebar endpoint: requests reach its SidebarApp whole, answers go back whole."""

from __future__ import annotations

from clvdesk.helpdesk.apps import AppAnswer, AppRequest


class Recorder:
    """A SidebarApp that answers with what it was given, to see what the mount carries."""

    def __init__(self):
        self.seen: list[AppRequest] = []

    def handle(self, request: AppRequest) -> AppAnswer:
        self.seen.append(request)
        if request.headers.get("x-refuse"):
            return AppAnswer.error(401, "invalid_signature", "refused")
        return AppAnswer(200, "text/html; charset=utf-8", b"<p>ok</p>", (("X-App", "yes"),))


def test_a_call_reaches_its_helpdesks_app_whole(app, client):
    recorder = Recorder()
    app.extensions["clvdesk"].apps["helpscout"] = recorder
    response = client.post("/apps/helpscout/dynamic?x=1", data=b'{"a":1}', headers={"X-Sig": "abc"})
    assert response.status_code == 200 and response.data == b"<p>ok</p>"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8" and response.headers["X-App"] == "yes"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the app's security headers still apply
    (seen,) = recorder.seen
    assert (seen.method, seen.path, seen.body, seen.query["x"]) == ("POST", "dynamic", b'{"a":1}', "1")
    assert seen.headers.get("x-sig") == "abc" and seen.request_id == response.headers["X-Request-Id"]
    assert client.get("/apps/helpscout").status_code == 200 and recorder.seen[-1].path == ""
    refused = client.get("/apps/helpscout", headers={"X-Refuse": "1"})
    assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_signature"


def test_a_helpdesk_without_an_app_is_404(client):
    response = client.get("/apps/nosuch/x")
    assert response.status_code == 404 and "nosuch" in response.get_json()["message"]

"""Choosing a language and following it (lims/languages.py): the header's switcher on every page, the
signed-in person's choice remembered in their profile, an anonymous visitor's in the language cookie, a
first visit following Accept-Language; the API's messages in the request's language."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from lims.languages import user_language_set
from lims.models import AuditAction, AuditEvent, User
from tests.conftest import PASSWORD

RUSSIAN_DASHBOARD = "Рабочий стол"
KAZAKH_DASHBOARD = "Жұмыс үстелі"


def switch(client: Client, language: str, next_url: str = "/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def page_language(response) -> str:
    return re.search(r'<html lang="([a-z-]+)"', response.content.decode()).group(1)


def sign_in(username: str) -> Client:
    """A new browser, signed in through the login page."""
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 302
    return client


# The switcher ------------------------------------------------------------------------------------


def switcher_buttons(response) -> list[tuple[str, str]]:
    form = re.search(r'<div class="language-switch.*?</form>', response.content.decode(), re.S).group(0)
    return re.findall(
        r'<button type="submit" name="language" value="([a-z]+)" lang="[a-z]+"[^>]*>([^<]+)</button>', form
    )


@pytest.mark.parametrize("path", ["/login/", "/verify/"])
def test_anonymous_pages_offer_every_language_named_in_itself(client, db, path):
    response = client.get(path)

    assert response.status_code == 200
    assert switcher_buttons(response) == [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]


@pytest.mark.parametrize("name", ["dashboard", "lot_list", "sample_list", "certificate_list", "notification_list"])
def test_signed_in_pages_offer_it_too(client, exporter, lot, name):
    client.force_login(exporter)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert [code for code, _name in switcher_buttons(response)] == ["en", "ru", "kk"]
    # It comes back to the page it was sent from.
    assert f'name="next" value="{reverse(name)}"' in response.content.decode()


def test_the_language_being_read_is_marked(client, db):
    client.get("/login/", HTTP_ACCEPT_LANGUAGE="kk")
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="kk")

    assert 'value="kk" lang="kk" aria-pressed="true"' in response.content.decode()
    assert 'value="en" lang="en" aria-pressed="false"' in response.content.decode()


# Anonymous visitors: Accept-Language first, then the cookie ----------------------------------------


def test_a_first_visit_follows_the_browser(client, db):
    assert page_language(client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8")) == "ru"
    assert page_language(client.get("/login/", HTTP_ACCEPT_LANGUAGE="kk-KZ,kk;q=0.9")) == "kk"
    # A language the product does not speak: English.
    assert page_language(client.get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")) == "en"


def test_an_anonymous_choice_is_kept_by_the_browser(client, db):
    response = switch(client, "kk", "/verify/")

    assert response.status_code == 302 and response["Location"] == "/verify/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    # The cookie outweighs what the browser asks for.
    page = client.get("/verify/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page_language(page) == "kk" and page["Content-Language"] == "kk"
    assert "<h1>Талдау сертификатының түпнұсқалығын тексеру</h1>" in page.content.decode()
    # Another browser is not concerned.
    assert page_language(Client().get("/verify/", HTTP_ACCEPT_LANGUAGE="ru")) == "ru"


def test_switching_needs_no_script_but_a_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = re.search(
        r'<div class="language-switch.*?name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode(), re.S
    )

    assert client.post(reverse("set_language"), {"language": "ru", "next": "/login/"}).status_code == 403
    response = client.post(
        reverse("set_language"), {"language": "ru", "next": "/login/", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    assert page_language(client.get("/login/")) == "ru"


def test_it_never_leaves_the_site(client, db):
    response = switch(client, "ru", "https://evil.example.org/")

    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client, exporter):
    client.force_login(exporter)

    response = switch(client, "de")

    assert response.status_code == 400
    exporter.refresh_from_db()
    assert exporter.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


# Signed-in people: the profile -------------------------------------------------------------------


def test_a_signed_in_choice_follows_the_person_to_another_browser(exporter):
    laptop = sign_in("alice")
    switch(laptop, "ru", "/dashboard/")
    exporter.refresh_from_db()
    assert exporter.language == "ru"
    laptop.post(reverse("logout"))

    # Another browser that asks for English, signed in again: Russian.
    tablet = sign_in("alice")
    page = tablet.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page_language(page) == "ru" and RUSSIAN_DASHBOARD in page.content.decode()
    # Even with a cookie that says English (set there before signing in).
    tablet.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert page_language(tablet.get(reverse("dashboard"))) == "ru"


def test_switching_again_changes_the_profile_and_is_audited(exporter):
    client = sign_in("alice")

    switch(client, "kk")
    switch(client, "kk")  # the same again: nothing to record
    switch(client, "en")

    exporter.refresh_from_db()
    assert exporter.language == "en"
    changes = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CHANGE, object_id=str(exporter.pk)).order_by("id")
    assert [event.data for event in changes] == [
        {"before": {"language": ""}, "after": {"language": "kk"}},
        {"before": {"language": "kk"}, "after": {"language": "en"}},
    ]
    assert page_language(client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="ru")) == "en"


def test_without_a_choice_a_person_follows_the_browser(exporter):
    client = sign_in("alice")

    page = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="kk")

    assert page_language(page) == "kk" and KAZAKH_DASHBOARD in page.content.decode()


def test_the_profile_refuses_a_language_the_product_does_not_speak(exporter):
    from lims.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        user_language_set(actor=exporter, language="de")

    assert refused.value.field == "language"
    assert User.objects.get(pk=exporter.pk).language == ""


def test_notification_emails_are_written_in_the_profile_language(exporter, mailoutbox):
    from lims import notifications
    from lims.models import Notification, NotificationKind

    user_language_set(actor=exporter, language="ru")
    exporter.email = "alice@example.org"
    exporter.save(update_fields=["email"])
    notification = Notification.objects.create(
        recipient=exporter,
        kind=NotificationKind.CERTIFICATE_ISSUED,
        email_due=True,
        data={"number": "KZL-2026-000001", "sample": "S-1"},
    )

    assert notifications.notification_emails_send_unsafe(notification_ids=[notification.pk]) == 1

    mail = mailoutbox[0]
    assert mail.subject == "[Assay LIMS] Сертификат KZL-2026-000001 выдан"
    assert "Вы получаете это сообщение, потому что выбрали его в настройках уведомлений" in mail.body


# The API -----------------------------------------------------------------------------------------


def token_for(username: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def close_lot(lot, **headers):
    return Client().post(f"/api/v1/lots/{lot.pk}/close/", {}, content_type="application/json", **headers)


def test_api_errors_follow_accept_language(manager, lot):
    token = token_for("max")

    russian = close_lot(lot, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="ru")
    english = close_lot(lot, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")

    assert russian.status_code == english.status_code == 409
    # A lot just registered cannot be closed: the lifecycle's refusal, in the language asked for.
    assert russian.json()["message"] == f"Партия {lot.lot_number} в статусе «зарегистрирована» и не может быть закрыта."
    assert russian["Content-Language"] == "ru"
    assert english.json()["message"] == f"Lot {lot.lot_number} is registered; it cannot be closed."


def test_api_answers_a_token_in_its_owners_language_unless_the_request_names_one(manager, lot):
    user_language_set(actor=manager, language="kk")
    token = token_for("max")

    own = close_lot(lot, HTTP_AUTHORIZATION=f"Token {token}")
    asked = close_lot(lot, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="ru")

    assert own.json()["message"] == f"Партия {lot.lot_number} мәртебесі — тіркелді; «жабылды» әрекеті мүмкін емес."
    assert own["Content-Language"] == "kk"
    assert asked.json()["message"].startswith(f"Партия {lot.lot_number} в статусе")


def test_api_validation_and_authentication_messages_are_translated_too(manager, lot):
    token = token_for("max")

    bad = Client().post(
        "/api/v1/lots/",
        {"lot_number": ""},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    anonymous = Client().get("/api/v1/lots/", HTTP_ACCEPT_LANGUAGE="ru")

    assert bad.status_code == 400 and "Обязательное поле." in bad.json()["message"]
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Учетные данные не были предоставлены."


def test_api_values_do_not_depend_on_the_language(manager, lot):
    token = token_for("max")
    lot.wet_mass_t = "5120.500"
    lot.save(update_fields=["wet_mass_t"])

    bodies = [
        Client()
        .get(f"/api/v1/lots/{lot.pk}/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE=language)
        .json()
        for language in ("en", "ru", "kk")
    ]

    assert bodies[0]["wet_mass_t"] == "5120.500"
    assert bodies[0] == bodies[1] == bodies[2]

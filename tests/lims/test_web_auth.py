"""Logging in and out, changing a password, and that no page shows itself to a stranger."""

from django.urls import reverse

from tests.conftest import PASSWORD


def test_it_logs_in_and_lands_on_the_dashboard(client, sampler):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content

    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})

    assert response.status_code == 302
    # The dashboard of what waits for them (desk), as LOGIN_REDIRECT_URL says.
    assert response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_refuses_a_wrong_password(client, sampler):
    response = client.post(reverse("login"), {"username": "sam", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    # Still a stranger.
    assert client.get(reverse("lot_list")).status_code == 302


def test_it_sends_strangers_to_the_login_page_and_back(client, lot):
    url = reverse("lot_detail", kwargs={"lot_pk": lot.pk})

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_the_home_page_is_the_dashboard(client, sampler):
    # Strangers are sent to log in first.
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    client.force_login(sampler)
    assert client.get(reverse("home")).url == reverse("dashboard")


def test_it_logs_out(client, sampler):
    client.force_login(sampler)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("lot_list")).status_code == 302


def test_every_page_offers_the_log_out_button_and_the_password_change(client, sampler):
    client.force_login(sampler)
    page = client.get(reverse("lot_list")).content.decode()
    assert f'action="{reverse("logout")}"' in page
    assert reverse("password_change") in page


def test_it_changes_the_password(client, sampler):
    client.force_login(sampler)
    new = "a much longer passphrase 42"

    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert client.get(response.url).status_code == 200
    sampler.refresh_from_db()
    assert sampler.check_password(new)
    assert not sampler.check_password(PASSWORD)


def test_a_password_change_needs_the_old_password(client, sampler):
    client.force_login(sampler)
    new = "a much longer passphrase 42"

    response = client.post(
        reverse("password_change"), {"old_password": "wrong", "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    sampler.refresh_from_db()
    assert sampler.check_password(PASSWORD)

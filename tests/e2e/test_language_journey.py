"""Choosing a language in a browser (lims.languages): a visitor on the public verification page switches
to Russian with the header's buttons and the choice stays with the browser; a browser set to Kazakh gets
Kazakh on its first visit; alice chooses Kazakh once signed in, and finds it again on another device
whose browser asks for English."""

from tests.e2e.conftest import expect, login


def test_a_visitor_switches_and_the_browser_remembers(page, live_server, db):
    page.goto(f"{live_server.url}/verify/")
    expect(page.locator("h1")).to_have_text("Verify a certificate of analysis")

    page.get_by_role("button", name="Русский").click()

    # Back on the same page, in Russian, the language read now marked in the switcher.
    page.wait_for_url("**/verify/")
    expect(page.locator("h1")).to_have_text("Проверка подлинности сертификата анализа")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("button", name="Русский")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("h1")).to_have_text("Проверка подлинности сертификата анализа")


def test_a_first_visit_follows_the_browsers_language(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url, locale="kk-KZ")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        expect(page.get_by_role("button", name="Кіру")).to_be_visible()
    finally:
        context.close()


def test_a_signed_in_choice_follows_the_person(page, browser, live_server, exporter):
    login(page, live_server, exporter)

    page.get_by_role("button", name="Қазақша").click()

    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("link", name="Жұмыс үстелі")).to_be_visible()

    # Another device, whose browser asks for English: Kazakh as soon as alice signs in.
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        other = context.new_page()
        login(other, live_server, exporter)
        expect(other.locator("html")).to_have_attribute("lang", "kk")
        expect(other.get_by_role("link", name="Жұмыс үстелі")).to_be_visible()
    finally:
        context.close()

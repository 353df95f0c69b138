"""The accessibility statement (the Public Sector Bodies Accessibility Regulations 2018): public,
linked from the footer of every page, naming the trust that runs the website."""

from django.urls import reverse

from schools.models import Trust

URL = reverse("accessibility")
FOOTER_LINK = f'<a href="{URL}">Accessibility statement</a>'


def test_public_and_names_the_trust_and_the_contact(client, demo, settings):
    settings.ACCESSIBILITY_CONTACT = "access@trust.example"
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert Trust.objects.order_by("pk").first().name in html
    assert '<a href="mailto:access@trust.example">access@trust.example</a>' in html
    for heading in ("How accessible this website is", "Enforcement procedure", "Non-accessible content"):
        assert heading in html
    assert "Equality Advisory and Support Service" in html and "26 November 2026" in html


def test_contact_in_words_is_shown_as_words(client, demo, settings):
    settings.ACCESSIBILITY_CONTACT = "the trust's office"
    html = client.get(URL).content.decode()
    assert "the trust&#x27;s office" in html and "mailto:" not in html


def test_before_there_is_a_trust_it_says_the_trust(client, demo, monkeypatch):
    name = Trust.objects.order_by("pk").first().name
    monkeypatch.setattr(Trust.objects, "order_by", lambda *fields: Trust.objects.none())
    html = client.get(URL).content.decode()
    assert "the trust runs this website" in html.lower() and name not in html


def test_linked_from_the_footer_of_the_home_page_and_the_sign_in_page(client, demo):
    for name in ("home", "login", "accessibility"):
        html = client.get(reverse(name)).content.decode()
        footer = html[html.index('<footer class="site-footer">') :]
        assert FOOTER_LINK in footer, name

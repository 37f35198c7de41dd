"""The shared message catalogue: language choice and template gettext with variables."""

from __future__ import annotations

from flask import Flask, render_template_string

from certsvc.web.i18n import gettext, load_languages


def test_every_language_has_a_catalogue_and_a_name() -> None:
    languages = load_languages()
    assert {"en", "es", "fil", "my"} <= set(languages)
    assert languages["my"].name != "my"  # named in itself, from the locale data
    assert languages["es"].messages["Sign in"] == "Iniciar sesión"


def test_plural_with_extra_variables_renders_in_templates(app: Flask) -> None:
    template = (
        '{{ ngettext("Verified %(num)s time, last on %(date)s.", '
        '"Verified %(num)s times, last on %(date)s.", n, date=d) }}'
    )
    with app.test_request_context("/"):
        app.preprocess_request()
        assert render_template_string(template, n=1, d="2026-01-02") == "Verified 1 time, last on 2026-01-02."
        assert render_template_string(template, n=3, d="2026-01-02") == "Verified 3 times, last on 2026-01-02."


def test_language_from_query_cookie_and_browser(app: Flask) -> None:
    client = app.test_client()
    assert "Iniciar sesión" in client.get("/login?lang=es").get_data(as_text=True)
    assert "Iniciar sesión" in client.get("/login").get_data(as_text=True)  # remembered in a cookie
    other = app.test_client()
    page = other.get("/login", headers={"Accept-Language": "tl-PH,tl;q=0.9"}).get_data(as_text=True)
    assert "Mag-sign in" in page
    with app.test_request_context("/?lang=fil"):
        app.preprocess_request()
        assert gettext("Sign in") == "Mag-sign in"


def test_country_and_language_names_come_from_cldr_in_the_pages_language(app: Flask) -> None:
    from certsvc.web.i18n import country_name, language_name

    assert country_name("PH", "es") == "Filipinas" and country_name("PH", "fil") == "Pilipinas"
    assert country_name("MY", "my") == "မလေးရှား" and language_name("my", "my") == "မြန်မာ"
    assert country_name("ZZZ", "es") == "ZZZ" and country_name(None) == ""  # unknown: shown as it is
    with app.test_request_context("/?lang=es"):
        app.preprocess_request()
        assert country_name("PH") == "Filipinas" and language_name("fil") == "filipino"


def test_a_recognition_sentence_names_the_country_in_the_pages_language(app: Flask) -> None:
    from verifier.web_messages import _recognition

    recognition = {
        "country": "PH",
        "country_name": "the Philippines",
        "national_title": "Welding NC II",
        "framework": "PQF",
        "level": "2",
        "authority": "TESDA",
        "statement": "Recognised in the Philippines as Welding NC II (PQF level 2) by TESDA.",
    }
    with app.test_request_context("/?lang=es"):
        app.preprocess_request()
        sentence = _recognition(recognition)
    assert sentence is not None and "Filipinas" in sentence and "Philippines" not in sentence
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert _recognition(recognition) == recognition["statement"]

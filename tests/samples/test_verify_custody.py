from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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

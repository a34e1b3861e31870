"""Declarations move only along their lifecycle (customs.models): a decided declaration is neither
decided again nor checked again, and the refusal names where it stands."""

import pytest

from customs import services
from customs.models import Declaration
from lims.exceptions import Conflict

S = Declaration.Status


@pytest.fixture
def accepted(declare, inspector):
    declaration = declare()
    services.declaration_decide(actor=inspector, declaration=declaration, accept=True, reason="Consistent.")
    return declaration


def test_a_decided_declaration_is_not_decided_again(accepted, inspector):
    with pytest.raises(Conflict) as refused:
        services.declaration_decide(actor=inspector, declaration=accepted, accept=False, reason="Second thoughts.")

    assert refused.value.message == f"Declaration {accepted.number} is accepted; it cannot be rejected."
    accepted.refresh_from_db()
    assert (accepted.status, accepted.decision_reason) == (S.ACCEPTED, "Consistent.")


def test_a_decided_declaration_is_not_checked_again(accepted, inspector):
    with pytest.raises(Conflict) as refused:
        services.declaration_recheck(actor=inspector, declaration=accepted)

    assert refused.value.message == f"Declaration {accepted.number} is accepted; it cannot be checked again."
    accepted.refresh_from_db()
    assert accepted.status == S.ACCEPTED

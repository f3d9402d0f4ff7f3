"""The language switcher's write: concurrent choices of one person each answer a redirect (never
a 500), and the stored language is one of those chosen (a single UPDATE: no read-then-write
that could interleave)."""

import pytest

from tests import factories
from tests.integrity.conftest import race, session_caller

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_language_choices_store_one_of_them(server):
    user = factories.UserFactory(role="staff")
    caller = session_caller(server, user)
    choices = ["fr", "en"] * 5
    answers = race(
        *[
            (
                lambda language=language: caller.form(
                    "/language/", {"language": language, "next": "/"}
                )
            )
            for language in choices
        ]
    )
    assert [answer.status for answer in answers] == [302] * len(choices)
    user.refresh_from_db()
    assert user.preferred_language in {"fr", "en"}

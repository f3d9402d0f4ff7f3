"""Two submissions of the same personal link at the same moment, against a live server: one is
recorded, the other is told the answers were already submitted; never two responses, never a
500 (the respondent is locked while its answers are written)."""

import datetime as dt
import re
import threading

import pytest
import requests
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commissioner.models import SurveyRespondent, SurveyResponse, SurveyStatement
from commissioner.survey import services
from tests.commissioner.survey_helpers import collaboration_with_partners

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a race needs a connection per request and row locks: SQLite's in-memory test "
        "database is one connection shared by the live server's threads (CI runs PostgreSQL)",
    ),
]


def test_parallel_submissions_of_one_link_record_one_response(live_server, commissioner):
    collaboration, partners = collaboration_with_partners(2, commissioner=commissioner)
    survey_round = services.survey_round_open(
        actor=commissioner,
        collaboration=collaboration,
        closes_on=timezone.localdate() + dt.timedelta(days=10),
    )
    respondent = SurveyRespondent.objects.get(
        round=survey_round, organisation=partners[0].organisation
    )
    url = live_server.url + reverse(
        "commissioner:survey_respond", kwargs={"token": services.survey_link_token(respondent)}
    )
    data = {
        f"statement_{pk}": "3"
        for pk in SurveyStatement.objects.filter(
            principle__instrument=survey_round.instrument
        ).values_list("pk", flat=True)
    }
    sessions = []
    for _ in range(4):
        session = requests.Session()
        page = session.get(url, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        sessions.append((session, token))
    barrier = threading.Barrier(len(sessions))
    answers = []

    def submit(session, token):
        barrier.wait()
        response = session.post(
            url,
            {**data, "csrfmiddlewaretoken": token, "submit": "1"},
            headers={"Referer": url},
            timeout=60,
        )
        answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=submit, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(status < 500 for status, _ in answers), [status for status, _ in answers]
    thanked = [text for _, text in answers if "Thank you: your answers are submitted" in text]
    refused = [text for _, text in answers if "already" in text]
    assert len(thanked) == 1, [status for status, _ in answers]
    assert len(refused) == len(sessions) - 1
    assert SurveyResponse.objects.filter(respondent=respondent).count() == 1
    assert SurveyResponse.objects.get(respondent=respondent).is_submitted

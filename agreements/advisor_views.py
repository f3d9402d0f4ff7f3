"""Pages of the structure advisor and the structure explainers. The advisor writes nothing: its
answers come by GET, and "Use this structure" opens the new-collaboration form with the structure
chosen. Thin: the questions and the scoring are in advisor.py, the explainers in explainers.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .access import may_create_collaboration
from .advisor import ANSWERS, QUESTIONS, clean_answers, suggest
from .explainers import EXPLAINERS, explainers


@require_GET
def structure_advisor(request):
    if not may_create_collaboration(request.user):
        raise PermissionDenied(_("Only administrators, commissioners and staff may do that."))
    answered = any(question.name in request.GET for question in QUESTIONS)
    answers = clean_answers(request.GET)
    suggestion = suggest(answers) if answered else None
    questions = [
        {"question": question, "answer": answers[question.name] if answered else None}
        for question in QUESTIONS
    ]
    return render(
        request,
        "agreements/structure_advisor.html",
        {
            "questions": questions,
            "answers": ANSWERS,
            "suggestion": suggestion,
            "explainer": EXPLAINERS[suggestion.structure] if suggestion else None,
            "alternatives": [EXPLAINERS[s] for s in suggestion.alternatives] if suggestion else [],
        },
    )


@require_GET
def structure_index(request):
    return render(request, "agreements/structure_index.html", {"explainers": explainers()})


@require_GET
def structure_explainer(request, structure: str):
    explainer = EXPLAINERS[structure]
    # The structure's own page, which extends agreements/structure_explainer.html.
    return render(
        request, explainer.template_name, {"explainer": explainer, "others": explainers()}
    )

"""The global search page: a GET form (the box in every page's header posts nothing and works
without JavaScript); results grouped by kind, best first. Thin: search/selectors.py decides."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def search(request):
    text = (request.GET.get("q") or "")[: selectors.MAX_LENGTH].strip()
    groups = selectors.search_for(actor=request.user, text=text) if text else []
    words = selectors.search_words(text)
    return render(
        request,
        "search/results.html",
        {
            "q": text,
            "groups": groups,
            "found": sum(group.total for group in groups),
            "too_short": bool(text) and sum(len(word) for word in words) < selectors.MIN_LENGTH,
            "min_length": selectors.MIN_LENGTH,
        },
    )

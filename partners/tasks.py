"""Celery tasks of the partners app: thin and idempotent, each calls one function of
partners/imports.py (a run past the task's phase is left as it is)."""

from celery import shared_task

from . import imports


@shared_task(name="partners.tasks.import_validate_task")
def import_validate_task(run_id: int) -> str:
    return imports.import_run_validate(run_id=run_id).status


@shared_task(name="partners.tasks.import_apply_task")
def import_apply_task(run_id: int, actor_id: int | None) -> str:
    return imports.import_run_apply(run_id=run_id, actor_id=actor_id).status
